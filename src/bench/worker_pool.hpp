// The main thread's side of a run: builds the workers (connection i goes to worker
// i % threads), starts their threads, waits for every handshake, sets the measurement
// window, stops and joins. Not thread-safe: use from the main thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/epoll_worker.hpp"
#include "bench/target.hpp"
#include "core/result.hpp"

namespace confab::bench {

struct PoolOptions {
    Target target;
    std::uint32_t clients = 1;
    unsigned threads = 1;
    std::vector<in_addr> source_addrs;  // round-robin by connection index; empty: no bind
    std::function<std::string(std::uint32_t id)> path_of;  // request target of connection id
    std::chrono::milliseconds connect_timeout{30'000};
    unsigned max_pending_connects = 1000;  // all workers together: bounded SYN bursts
    ReadyWhen ready_when = ReadyWhen::Open;
};

class WorkerPool {
public:
    explicit WorkerPool(PoolOptions options);
    ~WorkerPool();  // stops and joins if still running

    std::size_t size() const { return workers_.size(); }
    EpollWorker& worker(std::size_t i) { return *workers_[i]; }
    RunControl& control() { return control_; }
    const PoolOptions& options() const { return options_; }

    // Starts the threads (every worker must have its hooks) and waits until all connections
    // are ready (see ReadyWhen). Returns the time that took, or the first failure (refused,
    // handshake, timeout).
    Result<std::chrono::nanoseconds> connect_all();
    // Opens the run: traffic starts now, measurement after `warmup`, ends `duration` later.
    void begin_run(std::chrono::nanoseconds warmup, std::chrono::nanoseconds duration);
    // Blocks until CLOCK_MONOTONIC reaches `deadline_ns`, or `done()` returns true (polled
    // every millisecond), or a worker failed. Returns false only on failure.
    bool wait_until(std::int64_t deadline_ns, const std::function<bool()>& done = {});
    // Orders every worker to close its connections and joins the threads. Idempotent.
    void stop();
    CloseStats close_stats() const;

private:
    PoolOptions options_;
    RunControl control_;
    std::vector<std::unique_ptr<EpollWorker>> workers_;
    std::vector<std::thread> threads_;
};

}  // namespace confab::bench
