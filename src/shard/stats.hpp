// Counters one shard keeps about its traffic. Written by the shard's loop only (relaxed
// atomics so another thread may read a snapshot for logs and metrics).
#pragma once

#include <atomic>
#include <cstdint>

namespace confab::shard {

struct Stats {
    std::atomic<std::uint64_t> published{0};      // messages published from this loop
    std::atomic<std::uint64_t> delivered{0};      // frames queued to receivers on this loop
    std::atomic<std::uint64_t> dropped{0};        // droppable frames refused by full outboxes
    std::atomic<std::uint64_t> slow_consumer_closes{0};
    std::atomic<std::uint64_t> ping_timeouts{0};
    std::atomic<std::uint64_t> protocol_errors{0};
    std::atomic<std::uint64_t> api_rate_limited{0};  // /api requests answered 429

    void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
        counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
};

}  // namespace confab::shard
