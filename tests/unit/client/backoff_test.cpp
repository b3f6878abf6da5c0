#include "client/backoff.hpp"

#include <gtest/gtest.h>

namespace confab::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, CeilingDoublesFromInitialUpToTheCap) {
    Backoff b({milliseconds(100), 2.0, milliseconds(10'000)}, 1);
    const std::int64_t expected[] = {100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000};
    for (std::int64_t ceiling : expected) {
        EXPECT_EQ(b.ceiling().count(), ceiling);
        (void)b.next();
    }
}

TEST(Backoff, FullJitterStaysWithinTheCeilingAndSpreads) {
    Backoff b({milliseconds(1000), 1.0, milliseconds(1000)}, 42);
    std::int64_t low = 1000;
    std::int64_t high = 0;
    for (int i = 0; i < 1000; ++i) {
        const auto d = b.next().count();
        ASSERT_GE(d, 0);
        ASSERT_LE(d, 1000);
        low = std::min(low, d);
        high = std::max(high, d);
    }
    // Full jitter: the whole range [0, ceiling] is used, not just the top of it.
    EXPECT_LT(low, 100);
    EXPECT_GT(high, 900);
}

TEST(Backoff, ResetStartsAgainFromTheInitialDelay) {
    Backoff b({milliseconds(100), 2.0, milliseconds(10'000)}, 7);
    for (int i = 0; i < 5; ++i) (void)b.next();
    EXPECT_EQ(b.ceiling().count(), 3200);
    b.reset();
    EXPECT_EQ(b.ceiling().count(), 100);
    EXPECT_LE(b.next().count(), 100);
}

TEST(Backoff, ManyAttemptsNeverOverflowTheCap) {
    Backoff b({milliseconds(100), 2.0, milliseconds(10'000)}, 3);
    for (int i = 0; i < 500; ++i) ASSERT_LE(b.next().count(), 10'000);
    EXPECT_EQ(b.ceiling().count(), 10'000);
}

}  // namespace
}  // namespace confab::client
