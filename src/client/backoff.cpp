#include "client/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace confab::client {

Backoff::Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), rng_(seed) {}

std::chrono::milliseconds Backoff::ceiling() const {
    const double initial = static_cast<double>(policy_.initial_delay.count());
    const double cap = static_cast<double>(policy_.max_delay.count());
    // pow() overflows to +inf for large attempts; min() keeps the cap.
    const double grown = initial * std::pow(std::max(policy_.multiplier, 1.0), attempt_);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(grown, cap)));
}

std::chrono::milliseconds Backoff::next() {
    const std::int64_t ceiling_ms = std::max<std::int64_t>(ceiling().count(), 0);
    if (attempt_ < 64) ++attempt_;
    std::uniform_int_distribution<std::int64_t> pick(0, ceiling_ms);
    return std::chrono::milliseconds(pick(rng_));
}

}  // namespace confab::client
