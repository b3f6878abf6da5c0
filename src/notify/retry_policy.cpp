#include "notify/retry_policy.hpp"

#include <algorithm>

namespace confab::notify {

Verdict verdict_for_status(unsigned status) {
    if (status >= 200 && status < 300) return Verdict::Delivered;
    // 408 Request Timeout and 429 Too Many Requests ask the client to come back later.
    if (status == 408 || status == 429 || status >= 500) return Verdict::Retry;
    // 1xx cannot end an exchange we started (no Expect: 100-continue): a confused receiver,
    // which may recover.
    if (status < 200) return Verdict::Retry;
    return Verdict::Refused;  // 3xx (redirects are not followed) and the other 4xx
}

std::chrono::milliseconds RetryBackoff::next() {
    // Double from first_delay without overflowing: stop doubling once at the cap.
    std::chrono::milliseconds delay = policy_.first_delay;
    for (std::uint32_t i = 0; i < failures_ && delay < policy_.max_delay; ++i) delay *= 2;
    ++failures_;
    return std::min(delay, policy_.max_delay);
}

}  // namespace confab::notify
