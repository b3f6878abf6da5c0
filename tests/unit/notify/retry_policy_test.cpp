#include "notify/retry_policy.hpp"

#include <gtest/gtest.h>

#include "notify/log_throttle.hpp"

namespace confab::notify {
namespace {

using std::chrono::milliseconds;

TEST(WebhookRetry, TwoHundredsAreDelivered) {
    EXPECT_EQ(verdict_for_status(200), Verdict::Delivered);
    EXPECT_EQ(verdict_for_status(202), Verdict::Delivered);
    EXPECT_EQ(verdict_for_status(204), Verdict::Delivered);
}

TEST(WebhookRetry, ServerErrorsTimeoutsAndThrottlingAreRetried) {
    for (unsigned s : {500u, 502u, 503u, 504u, 408u, 429u})
        EXPECT_EQ(verdict_for_status(s), Verdict::Retry) << s;
}

TEST(WebhookRetry, OtherClientErrorsAndRedirectsAreNotRetried) {
    for (unsigned s : {400u, 401u, 403u, 404u, 410u, 413u, 301u, 302u}) {
        EXPECT_EQ(verdict_for_status(s), Verdict::Refused) << s;
    }
}

TEST(WebhookRetry, BackoffDoublesFrom100msUpTo10s) {
    RetryBackoff b(RetryPolicy{});
    std::vector<long> delays;
    for (int i = 0; i < 10; ++i) delays.push_back(static_cast<long>(b.next().count()));
    EXPECT_EQ(delays,
              (std::vector<long>{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000}));
    EXPECT_EQ(b.failures(), 10u);
}

TEST(WebhookRetry, BackoffStartsOverAfterASuccess) {
    RetryBackoff b(RetryPolicy{milliseconds(50), milliseconds(1000)});
    b.next();
    b.next();
    b.reset();
    EXPECT_EQ(b.next(), milliseconds(50));
}

TEST(WebhookRetry, BackoffNeverOverflowsAfterManyFailures) {
    RetryBackoff b(RetryPolicy{});
    for (int i = 0; i < 10'000; ++i) b.next();
    EXPECT_EQ(b.next(), milliseconds(10'000));
}

TEST(WebhookLogThrottle, AllowsOneLinePerPeriodAndCountsTheRest) {
    LogThrottle t(std::chrono::seconds(10));
    LogThrottle::Clock::time_point t0{};
    EXPECT_EQ(t.occurred(t0), 1u);
    EXPECT_FALSE(t.occurred(t0 + std::chrono::seconds(1)));
    EXPECT_FALSE(t.occurred(t0 + std::chrono::seconds(9)));
    EXPECT_EQ(t.occurred(t0 + std::chrono::seconds(10)), 3u);  // this one and the two held back
}

}  // namespace
}  // namespace confab::notify
