// Space::box / Space::discrete: sizes, membership and the one-line descriptions in messages.
#include "envs/space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "envs/error.h"

namespace tandem::envs {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Space, BoxSizeAndMembership) {
  const Space s = Space::box(3, -1, 1);
  EXPECT_TRUE(s.is_box());
  EXPECT_FALSE(s.is_discrete());
  EXPECT_EQ(s.shape, std::vector<int64_t>{3});
  EXPECT_EQ(s.flat_size(), 3);
  EXPECT_TRUE(s.contains({0.0f, 0.5f, -0.25f}));
  EXPECT_TRUE(s.contains({-1.0f, 1.0f, 1.0f})) << "bounds are closed";
  EXPECT_FALSE(s.contains({1.01f, 0.0f, 0.0f}));
  EXPECT_FALSE(s.contains({0.0f, -1.5f, 0.0f}));
  EXPECT_FALSE(s.contains({0.0f, 0.0f})) << "wrong size";
  EXPECT_FALSE(s.contains({0.0f, 0.0f, 0.0f, 0.0f})) << "wrong size";
  EXPECT_FALSE(s.contains({0.0f, std::nanf(""), 0.0f})) << "NaN is in no box";
}

TEST(Space, BoxWithPerElementAndInfiniteBounds) {
  const Space s = Space::box({-0.4, 0.0}, {0.4, kInf});
  EXPECT_EQ(s.flat_size(), 2);
  EXPECT_TRUE(s.contains({0.3f, 1e30f}));
  EXPECT_FALSE(s.contains({0.3f, -0.1f}));
  const Space open = Space::box(11, -kInf, kInf);
  EXPECT_TRUE(open.contains(std::vector<float>(11, -3e38f)));
  EXPECT_FALSE(open.contains(std::vector<float>(11, std::nanf(""))));
}

TEST(Space, BoxDescriptions) {
  EXPECT_EQ(Space::box(11, -kInf, kInf).describe(), "Box(11,) [-inf, inf]");
  EXPECT_EQ(Space::box(3, -1, 1).describe(), "Box(3,) [-1, 1]");
  EXPECT_EQ(Space::box(17, -0.4, 0.4).describe(), "Box(17,) [-0.4, 0.4]");
  EXPECT_EQ(Space::box({-1, 0}, {1, 1}).describe(), "Box(2,) [mixed bounds]");
}

TEST(Space, DiscreteSizeMembershipAndDescription) {
  const Space s = Space::discrete(4);
  EXPECT_TRUE(s.is_discrete());
  EXPECT_EQ(s.n, 4);
  EXPECT_EQ(s.flat_size(), 1);
  EXPECT_TRUE(s.contains({0.0f}));
  EXPECT_TRUE(s.contains({3.0f}));
  EXPECT_FALSE(s.contains({4.0f}));
  EXPECT_FALSE(s.contains({-1.0f}));
  EXPECT_FALSE(s.contains({1.5f})) << "indices are whole numbers";
  EXPECT_FALSE(s.contains({}));
  EXPECT_FALSE(s.contains({1.0f, 2.0f}));
  EXPECT_EQ(s.describe(), "Discrete(4)");
  EXPECT_EQ(Space::discrete(4096).describe(), "Discrete(4096)");
}

TEST(Space, InvalidSpacesAreErrors) {
  EXPECT_THROW(Space::discrete(0), Error);
  EXPECT_THROW(Space::discrete(-3), Error);
  EXPECT_THROW(Space::box({-1, -1}, {1}), Error);
}

}  // namespace
}  // namespace tandem::envs
