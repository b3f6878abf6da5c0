// Counters of the webhook, for /metrics. Written by the loops (dropped) and the webhook thread
// (the rest); relaxed atomics, read as a snapshot from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace confab::notify {

struct WebhookStats {
    std::atomic<std::uint64_t> delivered{0};        // events in batches answered 2xx
    std::atomic<std::uint64_t> dropped{0};          // events dropped from a full queue
    std::atomic<std::uint64_t> refused{0};          // events in batches answered 3xx/4xx
    std::atomic<std::uint64_t> failed_attempts{0};  // POSTs that will be retried
    std::atomic<std::uint64_t> queued{0};           // events waiting now (a gauge)

    static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
        counter.fetch_add(n, std::memory_order_relaxed);
    }
};

}  // namespace confab::notify
