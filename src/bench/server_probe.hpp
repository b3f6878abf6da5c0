// Watches for a server that is coming back: TCP connects to its port until one is accepted.
// Blocking; main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "bench/target.hpp"

namespace confab::bench {

// Tries to connect every `interval` until a connection is accepted (then closes it at
// once) or `deadline_ns` (CLOCK_MONOTONIC) passes. Returns when the accepted connect was
// started, or nullopt at the deadline. A refused or reset connect is what "not yet" looks
// like on loopback; each attempt is bounded by the interval.
std::optional<std::int64_t> wait_until_accepting(const Target& target, std::int64_t deadline_ns,
                                                 std::chrono::milliseconds interval);

}  // namespace confab::bench
