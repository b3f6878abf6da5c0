#include "http/token_bucket.hpp"

#include <gtest/gtest.h>

namespace confab::http {
namespace {

using namespace std::chrono_literals;
using Clock = TokenBucket::Clock;

const Clock::time_point kStart{};  // the fake clock: any fixed point, moved by hand

TEST(TokenBucket, NewBucketAdmitsAWholeBurstThenRefuses) {
    const RateLimit limit{.per_second = 1, .burst = 3};
    TokenBucket bucket(limit, kStart);
    EXPECT_FALSE(bucket.take(limit, kStart));
    EXPECT_FALSE(bucket.take(limit, kStart));
    EXPECT_FALSE(bucket.take(limit, kStart));
    EXPECT_TRUE(bucket.take(limit, kStart));
}

TEST(TokenBucket, RefusalSaysHowLongUntilTheNextToken) {
    const RateLimit limit{.per_second = 4, .burst = 1};
    TokenBucket bucket(limit, kStart);
    ASSERT_FALSE(bucket.take(limit, kStart));
    auto wait = bucket.take(limit, kStart + 100ms);  // 0.4 of a token refilled
    ASSERT_TRUE(wait);
    EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(*wait), 150ms);
}

TEST(TokenBucket, WaitingThePromisedTimeIsEnough) {
    const RateLimit limit{.per_second = 3, .burst = 1};
    TokenBucket bucket(limit, kStart);
    ASSERT_FALSE(bucket.take(limit, kStart));
    auto wait = bucket.take(limit, kStart);
    ASSERT_TRUE(wait);
    EXPECT_FALSE(bucket.take(limit, kStart + *wait));  // 1/3 s does not divide evenly
}

TEST(TokenBucket, RefilledAtTheRateAndNeverBeyondTheBurst) {
    const RateLimit limit{.per_second = 10, .burst = 2};
    TokenBucket bucket(limit, kStart);
    ASSERT_FALSE(bucket.take(limit, kStart));
    ASSERT_FALSE(bucket.take(limit, kStart));
    // An hour idle refills two tokens, not 36 000.
    const auto later = kStart + 1h;
    EXPECT_FALSE(bucket.take(limit, later));
    EXPECT_FALSE(bucket.take(limit, later));
    EXPECT_TRUE(bucket.take(limit, later));
    EXPECT_FALSE(bucket.take(limit, later + 100ms));  // one more token after 1/10 s
}

TEST(TokenBucket, RefusedRequestsDoNotPostponeTheNextToken) {
    const RateLimit limit{.per_second = 1, .burst = 1};
    TokenBucket bucket(limit, kStart);
    ASSERT_FALSE(bucket.take(limit, kStart));
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(bucket.take(limit, kStart + 10ms * i));
    EXPECT_FALSE(bucket.take(limit, kStart + 1s));
}

TEST(TokenBucket, AnOlderNowNeitherRefillsNorBreaksTheBucket) {
    const RateLimit limit{.per_second = 1, .burst = 1};
    TokenBucket bucket(limit, kStart + 10s);
    ASSERT_FALSE(bucket.take(limit, kStart + 10s));
    auto wait = bucket.take(limit, kStart);
    ASSERT_TRUE(wait);
    EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(*wait), 1000ms);
}

}  // namespace
}  // namespace confab::http
