#include "http/client_rate_limiter.hpp"

#include <algorithm>

namespace confab::http {

RateLimit per_loop_share(double per_second, double burst, unsigned loops) {
    if (per_second <= 0) return RateLimit{};
    const double n = std::max(1u, loops);
    const double whole_burst = burst > 0 ? burst : 2 * per_second;
    return RateLimit{.per_second = per_second / n, .burst = std::max(1.0, whole_burst / n)};
}

ClientRateLimiter::ClientRateLimiter(RateLimit limit, std::size_t max_clients)
    : limit_(limit), max_clients_(std::max<std::size_t>(1, max_clients)) {
    by_client_.reserve(std::min(max_clients_, kDefaultMaxClients));
}

std::optional<std::chrono::seconds> ClientRateLimiter::admit(std::string_view client,
                                                             Clock::time_point now) {
    if (!limit_.enabled()) return std::nullopt;
    auto found = by_client_.find(client);
    if (found != by_client_.end()) {
        recency_.splice(recency_.begin(), recency_, found->second);
    } else {
        if (by_client_.size() >= max_clients_) {
            // Forget the least recently seen client: if it was still in debt, it starts over
            // with a full bucket — a bounded gift, unlike unbounded memory.
            by_client_.erase(recency_.back().client);
            recency_.pop_back();
        }
        recency_.push_front(Entry{std::string(client), TokenBucket(limit_, now)});
        by_client_.emplace(recency_.front().client, recency_.begin());
    }
    auto wait = recency_.front().bucket.take(limit_, now);
    if (!wait) return std::nullopt;
    return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(*wait));
}

}  // namespace confab::http
