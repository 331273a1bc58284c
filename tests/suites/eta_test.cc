// The suite ETA by kind of run (suites/eta.h), by hand.
#include "suites/eta.h"

#include <gtest/gtest.h>

#include "envs/human_format.h"

namespace tandem::suites {
namespace {

// The runner's "done" lines and progress bars showed "eval/return_mean 0.8" for a text task's
// 0.8125 (one decimal everywhere): values keep four significant digits.
TEST(HumanFormat, MetricValuesKeepSignificantDigits) {
  EXPECT_EQ(human_value(0.8125), "0.8125");
  EXPECT_EQ(human_value(0.0421875), "0.04219");
  EXPECT_EQ(human_value(1000.0), "1000");
  EXPECT_EQ(human_value(154.2371), "154.2");
  EXPECT_EQ(human_value(-3.5e-05), "-3.5e-05");
}

TEST(Eta, KindsKeepTheirOwnRates) {
  EtaModel m;
  EXPECT_FALSE(m.remaining({{"text", 0, 100, 5.0}}, {}, 2).has_value())
      << "nothing measured: no estimate, never a guess";
  // a running text run halfway after 6 s: 0.12 s per token until one finishes
  auto early = m.remaining({{"text", 50, 100, 6.0}}, {{"text", 100}}, 1);
  ASSERT_TRUE(early.has_value());
  EXPECT_DOUBLE_EQ(*early, 6.0 + 12.0);

  m.finished("text", 100, 10.0);     // 0.1 s per token
  m.finished("hopper", 1000, 30.0);  // 0.03 s per env step
  // running: text 40/100 (left 0.6 × 10 = 6 s); hopper 500/1000 (left 15 s)
  // queued: text 200 (20 s), hopper 1000 (30 s), pairs 500 (never measured: the mean run, 20 s)
  auto eta = m.remaining({{"text", 40, 100, 4.0}, {"hopper", 500, 1000, 15.0}},
                         {{"text", 200}, {"hopper", 1000}, {"pairs", 500}}, 2);
  ASSERT_TRUE(eta.has_value());
  EXPECT_DOUBLE_EQ(*eta, (6.0 + 15.0 + 20.0 + 30.0 + 20.0) / 2);
  // one long run left: its own remainder, not the work over the workers
  auto tail = m.remaining({{"hopper", 0, 10000, 1.0}}, {}, 2);
  ASSERT_TRUE(tail.has_value());
  EXPECT_DOUBLE_EQ(*tail, 300.0 - 1.0);
}

}  // namespace
}  // namespace tandem::suites
