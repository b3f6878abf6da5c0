// What the webhook does with an answer, and how long it waits before trying again. Pure.
#pragma once

#include <chrono>
#include <cstdint>

namespace confab::notify {

enum class Verdict {
    Delivered,  // 2xx: the batch is done
    Refused,    // 3xx, 4xx other than 408/429: the receiver will not take it; retrying would not
                // help, so the batch is dropped (logged, counted)
    Retry,      // 408, 429, 5xx (and no answer at all: connection error, timeout)
};

Verdict verdict_for_status(unsigned status);

struct RetryPolicy {
    std::chrono::milliseconds first_delay{100};
    std::chrono::milliseconds max_delay{10'000};
};

// Exponential backoff without jitter: first_delay, ×2 per failed attempt, capped at
// max_delay. No jitter because one server has one sender: there is no herd to spread out.
class RetryBackoff {
public:
    explicit RetryBackoff(RetryPolicy policy) : policy_(policy) {}

    // The delay before the next attempt; each call doubles the next one, up to max_delay.
    std::chrono::milliseconds next();
    // After a delivery (or a refusal): start again from first_delay.
    void reset() { failures_ = 0; }
    std::uint32_t failures() const { return failures_; }

private:
    RetryPolicy policy_;
    std::uint32_t failures_ = 0;  // consecutive attempts that asked for a retry
};

}  // namespace confab::notify
