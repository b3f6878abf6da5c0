#include "http/client_rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace confab::http {
namespace {

using namespace std::chrono_literals;
using Clock = ClientRateLimiter::Clock;

const Clock::time_point kStart{};  // the fake clock

TEST(ClientRateLimiter, OffAdmitsEverything) {
    ClientRateLimiter limiter(RateLimit{});
    for (int i = 0; i < 10'000; ++i) ASSERT_FALSE(limiter.admit("10.0.0.1", kStart));
    EXPECT_EQ(limiter.tracked_clients(), 0u);
}

TEST(ClientRateLimiter, EachAddressHasItsOwnBucket) {
    ClientRateLimiter limiter(RateLimit{.per_second = 1, .burst = 2});
    EXPECT_FALSE(limiter.admit("10.0.0.1", kStart));
    EXPECT_FALSE(limiter.admit("10.0.0.1", kStart));
    EXPECT_TRUE(limiter.admit("10.0.0.1", kStart));
    EXPECT_FALSE(limiter.admit("10.0.0.2", kStart));
    EXPECT_FALSE(limiter.admit("::1", kStart));
}

TEST(ClientRateLimiter, RetryAfterIsWholeSecondsRoundedUp) {
    ClientRateLimiter limiter(RateLimit{.per_second = 0.4, .burst = 1});
    ASSERT_FALSE(limiter.admit("10.0.0.1", kStart));
    EXPECT_EQ(limiter.admit("10.0.0.1", kStart), 3s);       // 2.5 s until the next token
    EXPECT_EQ(limiter.admit("10.0.0.1", kStart + 2s), 1s);  // 0.5 s: never "0"
    EXPECT_FALSE(limiter.admit("10.0.0.1", kStart + 2500ms));
}

TEST(ClientRateLimiter, TableNeverHoldsMoreThanItsBound) {
    ClientRateLimiter limiter(RateLimit{.per_second = 1, .burst = 1}, 100);
    for (int i = 0; i < 10'000; ++i) limiter.admit("10.0." + std::to_string(i), kStart);
    EXPECT_EQ(limiter.tracked_clients(), 100u);
}

TEST(ClientRateLimiter, FullTableForgetsTheLeastRecentlySeenAddress) {
    ClientRateLimiter limiter(RateLimit{.per_second = 1, .burst = 1}, 2);
    ASSERT_FALSE(limiter.admit("a", kStart));
    ASSERT_FALSE(limiter.admit("b", kStart));
    ASSERT_TRUE(limiter.admit("a", kStart));   // "a" is now the most recently seen
    ASSERT_FALSE(limiter.admit("c", kStart));  // pushes out "b", not "a"
    EXPECT_TRUE(limiter.admit("a", kStart)) << "a's empty bucket was forgotten";
    EXPECT_FALSE(limiter.admit("b", kStart)) << "b should start over with a full bucket";
}

TEST(ClientRateLimiter, PerLoopShareDividesRateAndBurstByTheLoops) {
    const RateLimit share = per_loop_share(100, 300, 4);
    EXPECT_DOUBLE_EQ(share.per_second, 25);
    EXPECT_DOUBLE_EQ(share.burst, 75);
}

TEST(ClientRateLimiter, PerLoopShareDefaultsTheBurstToTwiceTheRate) {
    const RateLimit share = per_loop_share(1000, 0, 2);
    EXPECT_DOUBLE_EQ(share.per_second, 500);
    EXPECT_DOUBLE_EQ(share.burst, 1000);
}

TEST(ClientRateLimiter, PerLoopShareKeepsABurstOfAtLeastOneRequest) {
    const RateLimit share = per_loop_share(1, 1, 8);
    EXPECT_DOUBLE_EQ(share.burst, 1);
    EXPECT_TRUE(share.enabled());
}

TEST(ClientRateLimiter, PerLoopShareOfZeroRateIsOff) {
    EXPECT_FALSE(per_loop_share(0, 50, 2).enabled());
}

}  // namespace
}  // namespace confab::http
