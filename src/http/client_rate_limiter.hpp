// ClientRateLimiter: how many /api requests each client address may make on one loop — a
// token bucket per address, in a table of bounded size. One per event loop (shared-nothing:
// a connection, and so its requests, stay on one loop); loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/token_bucket.hpp"

namespace confab::http {

// The share of one loop in a process-wide limit of `per_second` requests/s per address with
// bursts of `burst` (0: 2 × per_second), over `loops` loops.
//
// Each loop enforces 1/loops of the limit, so an address never gets more than the limit in
// total, however its connections are spread (they go to the loops round-robin). The price:
// a client with a single keep-alive connection, which lives on one loop, gets only that
// loop's share. The other choice — the whole limit on every loop — would let any client
// multiply it by opening `loops` connections, which is the opposite of a limit. A loop's
// burst is at least one request, so a tiny limit still lets requests through.
RateLimit per_loop_share(double per_second, double burst, unsigned loops);

class ClientRateLimiter {
public:
    using Clock = TokenBucket::Clock;

    // Enough for every genuine client of one server; an attacker with more addresses only
    // pushes out the least recently seen ones (whose buckets then start full again), never
    // grows the table.
    static constexpr std::size_t kDefaultMaxClients = 10'000;

    explicit ClientRateLimiter(RateLimit limit, std::size_t max_clients = kDefaultMaxClients);
    ClientRateLimiter(const ClientRateLimiter&) = delete;
    ClientRateLimiter& operator=(const ClientRateLimiter&) = delete;

    // Admits one request from `client` (an address, without the port): nullopt when it may
    // proceed (one token taken), else the whole seconds to wait for the next token (at least
    // 1; RFC 9110 §10.2.3 Retry-After). Always nullopt when the limit is off.
    std::optional<std::chrono::seconds> admit(std::string_view client, Clock::time_point now);

    const RateLimit& limit() const { return limit_; }
    std::size_t tracked_clients() const { return by_client_.size(); }

private:
    struct Entry {
        std::string client;
        TokenBucket bucket;
    };
    using Recency = std::list<Entry>;  // most recently seen first

    RateLimit limit_;
    std::size_t max_clients_;
    Recency recency_;
    // Keys view the Entry's own string: list nodes never move. Invariant: exactly one key per
    // entry of recency_, and size() <= max_clients_.
    std::unordered_map<std::string_view, Recency::iterator> by_client_;
};

}  // namespace confab::http
