// TokenBucket: one client's request allowance — up to `burst` requests at once, refilled at
// `per_second`. Pure: the caller passes the time, so tests drive it with a fake clock. Owned
// by one loop's RateLimiter; not thread-safe.
#pragma once

#include <chrono>
#include <optional>

namespace confab::http {

struct RateLimit {
    double per_second = 0;  // refill rate; 0: no limit
    double burst = 1;       // bucket size, at least 1 when per_second > 0

    bool enabled() const { return per_second > 0; }
};

class TokenBucket {
public:
    using Clock = std::chrono::steady_clock;

    // A new bucket is full: a client's first requests are never refused.
    TokenBucket(const RateLimit& limit, Clock::time_point now)
        : tokens_(limit.burst), updated_(now) {}

    // Takes one token if there is one and returns nullopt; otherwise takes nothing (refused
    // requests do not dig the hole deeper) and returns how long until a token is there.
    std::optional<Clock::duration> take(const RateLimit& limit, Clock::time_point now);

private:
    double tokens_;  // invariant: 0 <= tokens_ <= limit.burst, as of updated_
    Clock::time_point updated_;
};

}  // namespace confab::http
