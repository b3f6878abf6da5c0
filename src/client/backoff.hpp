// Reconnect delays: exponential growth with full jitter (a random delay between 0 and the
// current ceiling). Pure; owned by one client's strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace confab::client {

struct BackoffPolicy {
    std::chrono::milliseconds initial_delay{100};
    double multiplier = 2.0;
    std::chrono::milliseconds max_delay{10'000};
};

class Backoff {
public:
    // `seed` makes the sequence reproducible in tests; the client seeds from random_device.
    Backoff(BackoffPolicy policy, std::uint64_t seed);

    // The delay before the next attempt; each call raises the ceiling by `multiplier`, up to
    // max_delay.
    std::chrono::milliseconds next();
    // The ceiling next() would draw under now (for tests and logs).
    std::chrono::milliseconds ceiling() const;
    // After a healthy connection: start again from initial_delay.
    void reset() { attempt_ = 0; }
    std::uint32_t attempt() const { return attempt_; }

private:
    BackoffPolicy policy_;
    std::uint32_t attempt_ = 0;  // delays handed out since the last reset
    std::mt19937_64 rng_;
};

}  // namespace confab::client
