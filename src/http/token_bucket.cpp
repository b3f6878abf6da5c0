#include "http/token_bucket.hpp"

#include <algorithm>

namespace confab::http {

namespace {
// Refill arithmetic in floating point may leave 0.999999... after waiting exactly the
// promised time; that must count as a whole token.
constexpr double kRoundingSlack = 1e-9;
}  // namespace

std::optional<TokenBucket::Clock::duration> TokenBucket::take(const RateLimit& limit,
                                                              Clock::time_point now) {
    // A steady clock never goes back, but a caller's cached "now" may be older than ours.
    if (now > updated_) {
        const double elapsed = std::chrono::duration<double>(now - updated_).count();
        tokens_ = std::min(limit.burst, tokens_ + elapsed * limit.per_second);
        updated_ = now;
    }
    if (tokens_ >= 1 - kRoundingSlack) {
        tokens_ = std::max(0.0, tokens_ - 1);
        return std::nullopt;
    }
    const std::chrono::duration<double> wait((1 - tokens_) / limit.per_second);
    // Round up: a client that waits exactly this long must find its token there.
    return std::chrono::ceil<Clock::duration>(wait);
}

}  // namespace confab::http
