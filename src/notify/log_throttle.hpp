// LogThrottle: at most one log line per period for a condition that may repeat at line rate
// (a full queue, a receiver that is down), with the count of what was held back. Pure; the
// owner serialises calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace confab::notify {

class LogThrottle {
public:
    using Clock = std::chrono::steady_clock;
    explicit LogThrottle(Clock::duration period) : period_(period) {}

    // Counts one occurrence. Returns how many occurrences the line should report (this one
    // and the ones held back since the last line) when a line is due now, nothing otherwise.
    std::optional<std::uint64_t> occurred(Clock::time_point now) {
        ++pending_;
        if (last_ && now - *last_ < period_) return std::nullopt;
        last_ = now;
        std::uint64_t n = pending_;
        pending_ = 0;
        return n;
    }

private:
    Clock::duration period_;
    std::optional<Clock::time_point> last_;
    std::uint64_t pending_ = 0;
};

}  // namespace confab::notify
