// A bounded count of accepted, unfinished publications, checked by the publishing thread
// before anything is queued: a full outbox is reported by the publish call itself. Lock-free;
// any thread.
#pragma once

#include <atomic>
#include <cstddef>

namespace confab::client {

class Admission {
public:
    explicit Admission(std::size_t limit) : limit_(limit) {}

    // True and one slot taken, or false when `limit` slots are taken.
    bool try_acquire() {
        std::size_t used = used_.load(std::memory_order_relaxed);
        do {
            if (used >= limit_) return false;
        } while (!used_.compare_exchange_weak(used, used + 1, std::memory_order_acq_rel));
        return true;
    }
    // Once per successful try_acquire, when the publication completes.
    void release() { used_.fetch_sub(1, std::memory_order_acq_rel); }
    std::size_t used() const { return used_.load(std::memory_order_acquire); }
    std::size_t limit() const { return limit_; }

private:
    const std::size_t limit_;
    std::atomic<std::size_t> used_{0};
};

}  // namespace confab::client
