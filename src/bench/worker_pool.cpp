#include "bench/worker_pool.hpp"

#include <algorithm>

namespace confab::bench {

WorkerPool::WorkerPool(PoolOptions options) : options_(std::move(options)) {
    const unsigned threads = std::clamp(options_.threads, 1u, std::max(1u, options_.clients));
    std::vector<std::vector<ConnSpec>> specs(threads);
    for (std::uint32_t id = 0; id < options_.clients; ++id) {
        const in_addr* source = options_.source_addrs.empty()
                                    ? nullptr
                                    : &options_.source_addrs[id % options_.source_addrs.size()];
        specs[id % threads].push_back(ConnSpec{id, options_.path_of(id), source});
    }
    const unsigned pending_each = std::max(1u, options_.max_pending_connects / threads);
    for (auto& s : specs) {
        workers_.push_back(std::make_unique<EpollWorker>(options_.target, std::move(s), control_,
                                                         pending_each, options_.ready_when));
    }
}

WorkerPool::~WorkerPool() {
    stop();
}

Result<std::chrono::nanoseconds> WorkerPool::connect_all() {
    const std::int64_t start = monotonic_ns();
    for (auto& w : workers_) threads_.emplace_back([&worker = *w] { worker.run(); });
    const std::int64_t deadline =
        start +
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.connect_timeout).count();
    const bool ok = wait_until(deadline, [this] {
        return control_.ready.load(std::memory_order_relaxed) >= options_.clients;
    });
    if (!ok) return fail(Errc::Unavailable, control_.error());
    const std::uint32_t ready = control_.ready.load();
    if (ready < options_.clients) {
        return fail(Errc::Unavailable,
                    "only " + std::to_string(ready) + " of " + std::to_string(options_.clients) +
                        " connections ready (" + std::to_string(control_.connected.load()) +
                        " open) after " + std::to_string(options_.connect_timeout.count()) + " ms");
    }
    return std::chrono::nanoseconds(monotonic_ns() - start);
}

void WorkerPool::begin_run(std::chrono::nanoseconds warmup, std::chrono::nanoseconds duration) {
    control_.run_start_ns = monotonic_ns();
    control_.measure_start_ns = control_.run_start_ns + warmup.count();
    control_.measure_end_ns = control_.measure_start_ns + duration.count();
    control_.phase.store(Phase::Run, std::memory_order_release);
}

bool WorkerPool::wait_until(std::int64_t deadline_ns, const std::function<bool()>& done) {
    for (;;) {
        if (control_.failed()) return false;
        if (done && done()) return true;
        const std::int64_t left = deadline_ns - monotonic_ns();
        if (left <= 0) return true;
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::min<std::int64_t>(left, 1'000'000)));
    }
}

void WorkerPool::stop() {
    control_.phase.store(Phase::Stop, std::memory_order_release);
    for (auto& t : threads_) t.join();
    threads_.clear();
}

CloseStats WorkerPool::close_stats() const {
    CloseStats all;
    for (const auto& w : workers_) all.merge(w->close_stats());
    return all;
}

}  // namespace confab::bench
