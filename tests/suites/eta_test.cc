// The suite ETA by kind of run (suites/eta.h), by hand.
#include "suites/eta.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
  // queued: text 200 (20 s), hopper 1000 (30 s), pairs 500 (never measured: the mean run, 20 s),
  // in that order on the worker free first: text after the text run (6 + 20), hopper after the
  // hopper run (15 + 30), pairs after text (26 + 20)
  auto eta = m.remaining({{"text", 40, 100, 4.0}, {"hopper", 500, 1000, 15.0}},
                         {{"text", 200}, {"hopper", 1000}, {"pairs", 500}}, 2);
  ASSERT_TRUE(eta.has_value());
  EXPECT_DOUBLE_EQ(*eta, 6.0 + 20.0 + 20.0);
  // one long run left: its own remainder, not the work over the workers
  auto tail = m.remaining({{"hopper", 0, 10000, 1.0}}, {}, 2);
  ASSERT_TRUE(tail.has_value());
  EXPECT_DOUBLE_EQ(*tail, 300.0 - 1.0);
}

// The runner starts queued runs in order on the worker that frees first, so a long run queued last
// starts late and decides the finish: the quickstart's last DPO run (50 s) made the estimate
// "work / workers" read 50 s for 72 s left. The ETA follows the same schedule.
TEST(Eta, TheLastLongRunStartsWhenAWorkerFrees) {
  EtaModel m;
  m.finished("short", 100, 10.0);
  m.finished("long", 100, 50.0);
  // two workers, 5 s left each; then short, short, long in this order
  auto eta = m.remaining({{"short", 50, 100, 5.0}, {"short", 50, 100, 5.0}},
                         {{"short", 100}, {"short", 100}, {"long", 100}}, 2);
  ASSERT_TRUE(eta.has_value());
  EXPECT_DOUBLE_EQ(*eta, 5.0 + 10.0 + 50.0) << "not (5 + 5 + 10 + 10 + 50) / 2 = 40";
  // an idle worker takes a queued run at once
  auto idle = m.remaining({}, {{"long", 100}, {"short", 100}}, 2);
  ASSERT_TRUE(idle.has_value());
  EXPECT_DOUBLE_EQ(*idle, 50.0);
}

// A run's start-up (process, model build) comes before its first metrics line: queued runs cost
// it too. The quickest one counts: a run that waited for a cache build started slowly once.
TEST(Eta, QueuedRunsCostTheirKindsQuickestStartUp) {
  EtaModel m;
  m.finished("pendulum ppo", 1000, 5.0, 12.0);  // waited for the expert
  m.finished("pendulum ppo", 1000, 5.0, 2.0);
  auto eta = m.remaining({}, {{"pendulum ppo", 1000}, {"pendulum ppo", 1000}}, 2);
  ASSERT_TRUE(eta.has_value());
  EXPECT_DOUBLE_EQ(*eta, 2.0 + 5.0);
  // a running run with progress is past its start-up
  auto running = m.remaining({{"pendulum ppo", 500, 1000, 4.0}}, {}, 1);
  ASSERT_TRUE(running.has_value());
  EXPECT_DOUBLE_EQ(*running, 2.5);
}

// A cold start had no estimate ("--") until a run finished, then guessed unmeasured kinds at the
// mean run of the kinds measured: the quickstart's first estimate was 52 s for 315 s left. Rates a
// suite measured are remembered for the next one on the machine.
TEST(Eta, RatesRememberedFromAnEarlierSuiteEstimateBeforeAnyRunEnds) {
  const std::string path = (std::filesystem::temp_directory_path() / "eta_rates.json").string();
  std::filesystem::remove(path);
  EtaModel first;
  first.load_remembered(path);  // none yet
  EXPECT_FALSE(first.remaining({{"pendulum dpo", 0, 1000, 1.0}}, {}, 1).has_value());
  first.finished("pendulum dpo", 1000, 50.0, 3.0);  // 0.05 s per pair after a 3 s start-up
  first.remember(path);
  first.finished("sort ppo", 100, 3.0);
  first.remember(path);

  EtaModel next;
  next.load_remembered(path);
  // nothing finished in this suite: the remembered rates, not "--"
  auto eta = next.remaining({{"pendulum dpo", 0, 2000, 1.0}}, {{"sort ppo", 200}}, 1);
  ASSERT_TRUE(eta.has_value());
  EXPECT_DOUBLE_EQ(*eta, (3.0 + 2000 * 0.05 - 1.0) + 200 * 0.03);
  // the remembered rate comes before a running run's first, noisy steps
  auto early = next.remaining({{"sort ppo", 10, 100, 2.0}}, {}, 1);
  ASSERT_TRUE(early.has_value());
  EXPECT_DOUBLE_EQ(*early, 0.03 * 90);
  // this suite's own finished runs come first, but a start-up slowed by a cache build does not
  // replace a quicker one remembered
  next.finished("pendulum dpo", 1000, 50.0, 137.0);
  auto waited = next.remaining({}, {{"pendulum dpo", 1000}}, 1);
  ASSERT_TRUE(waited.has_value());
  EXPECT_DOUBLE_EQ(*waited, 3.0 + 50.0);
  next.finished("sort ppo", 100, 6.0);
  auto own = next.remaining({}, {{"sort ppo", 100}}, 1);
  ASSERT_TRUE(own.has_value());
  EXPECT_DOUBLE_EQ(*own, 6.0);
  // and replace the remembered rate of their kind, keeping the others
  next.remember(path);
  EtaModel third;
  third.load_remembered(path);
  auto both = third.remaining({}, {{"sort ppo", 100}, {"pendulum dpo", 100}}, 1);
  ASSERT_TRUE(both.has_value());
  EXPECT_DOUBLE_EQ(*both, 6.0 + (3.0 + 5.0));

  // a damaged file is no rates, never an error
  std::ofstream(path) << "{ not json";
  EtaModel damaged;
  damaged.load_remembered(path);
  EXPECT_FALSE(damaged.remaining({}, {{"sort ppo", 100}}, 1).has_value());
}

}  // namespace
}  // namespace tandem::suites
