// The worker's side of a measured run: the measurement window as the worker sees it, the
// latency of what was sent inside it, and the drain gauge the main thread watches. A base
// for the hooks of the broadcast, echo and v1-publish scenarios; worker thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "bench/epoll_worker.hpp"
#include "bench/histogram.hpp"

namespace confab::bench {

// What one worker tells the main thread while it drains (one cache line per worker). The
// run has drained when every worker is done sending and, summed over the workers, settled
// (returned, delivered, acked) has caught up with owed (what the window's sends are owed).
struct alignas(64) DrainGauge {
    std::atomic<std::uint64_t> owed{0};
    std::atomic<std::uint64_t> settled{0};
    std::atomic<bool> done_sending{false};
};

class WindowedHooks : public WorkerHooks {
public:
    // Once the run has begun: start() on the first turn, then turn() on every turn, then the
    // drain gauge is updated from drain_counts().
    int on_turn(Phase phase, std::int64_t now) final;

    // Publish-to-delivery (or round-trip, or ack) latency of what was sent in the window.
    const Histogram& latency() const { return *latency_; }

protected:
    struct DrainCounts {
        std::uint64_t owed;     // e.g. sent in the window
        std::uint64_t settled;  // e.g. of those, returned
    };

    WindowedHooks(RunControl& control, DrainGauge& gauge);

    // The first turn of the run: start sending.
    virtual void start(std::int64_t now) = 0;
    // Every turn of the run (the first after start()); returns the ms the loop may wait.
    virtual int turn(std::int64_t now) {
        (void)now;
        return 20;
    }
    virtual DrainCounts drain_counts() const = 0;

    // True once the worker has seen Phase::Run; the window below is valid from then on.
    bool running();
    bool in_window(std::int64_t t) const { return t >= window_start_ && t < window_end_; }
    bool window_over(std::int64_t now) const { return now >= window_end_; }
    // Records now - sent_ns when the message was sent inside the window; returns whether so.
    bool record_if_sent_in_window(std::int64_t sent_ns, std::int64_t now);

    RunControl& control_;
    std::int64_t run_start_ns_ = 0;

private:
    DrainGauge& gauge_;
    std::unique_ptr<Histogram> latency_;  // ~60 KiB: off the hooks object
    bool running_ = false;
    bool started_ = false;
    std::int64_t window_start_ = INT64_MAX;
    std::int64_t window_end_ = INT64_MAX;
};

}  // namespace confab::bench
