// The skeleton every scenario shares: a worker pool running the scenario's hooks, the connect
// phase, then either a measured window (warm-up, window with CPU readings, drain of what is
// still in flight, stop) or a plain hold. Scenarios differ only in their hooks and report.
// Main thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/windowed_hooks.hpp"
#include "bench/worker_pool.hpp"

namespace confab::bench {

// What a run measured besides the scenario's own counts.
struct RunFacts {
    std::chrono::nanoseconds connect{0};  // until every connection was ready
    double drain_ms = 0;                  // after the window, until everything settled
    std::size_t threads = 0;
    double bench_cpu = 0;    // % of one core over the window
    double server_cpu = -1;  // -1 without --server-pid
    CloseStats closes;       // connections lost during the run (after stop())
};

class ScenarioRun {
public:
    using PathOf = std::function<std::string(std::uint32_t id)>;

    // `common` must outlive this object. Builds the workers; nothing connects yet.
    ScenarioRun(const CommonOptions& common, PathOf path_of,
                ReadyWhen ready_when = ReadyWhen::Open);
    ~ScenarioRun();  // stops the workers first: they use the hooks and gauges

    // Gives every worker its hooks: make(EpollWorker&, RunControl&, DrainGauge&) returns a
    // std::unique_ptr<H> (H derives from WorkerHooks). The run owns them; the returned
    // pointers (one per worker) stay valid for the run's life.
    template <class H, class Make>
    std::vector<H*> install(Make make) {
        std::vector<H*> out;
        for (std::size_t i = 0; i < pool_.size(); ++i) {
            std::unique_ptr<H> h = make(pool_.worker(i), pool_.control(), gauges_[i]);
            out.push_back(h.get());
            pool_.worker(i).set_hooks(*h);
            hooks_.push_back(std::move(h));
        }
        return out;
    }
    // The same for hooks constructed as H(options, worker, control, gauge).
    template <class H, class Options>
    std::vector<H*> install_with(const Options& options) {
        return install<H>([&options](EpollWorker& w, RunControl& ctl, DrainGauge& g) {
            return std::make_unique<H>(options, w, ctl, g);
        });
    }

    // Starts the workers and waits until every connection is ready; throws
    // std::runtime_error with the first failure.
    void connect();
    // Traffic for warmup + duration, CPU over the window, then up to kDrainGrace for what
    // is in flight (see DrainGauge); stops the workers.
    RunFacts measure(Millis warmup, Millis duration);
    // No traffic of its own: holds the connections for `duration` with CPU readings. The
    // workers keep running until stop() (so that the caller can take readings first).
    RunFacts hold(Millis duration);
    // Closes every connection and joins the workers; fills `facts.closes`. Idempotent.
    void stop(RunFacts& facts);

    WorkerPool& pool() { return pool_; }

private:
    bool drained() const;

    const CommonOptions& common_;
    std::chrono::nanoseconds connect_time_{0};
    // Declared before the pool: the pool's threads use them until it is stopped.
    std::unique_ptr<DrainGauge[]> gauges_;
    std::vector<std::unique_ptr<WorkerHooks>> hooks_;
    WorkerPool pool_;
};

// The rows every measuring scenario's setup ends with: threads, measured time, connect time.
void add_run_rows(Report& r, const RunFacts& f, Millis duration);
// The rows every report ends with: CPU over the window and the connections lost.
void add_end_rows(Report& r, const RunFacts& f);

// Sums every worker's counts() (a type with merge()).
template <class H>
auto merged_counts(const std::vector<H*>& hooks) {
    std::decay_t<decltype(hooks.front()->counts())> all;
    for (const H* h : hooks) all.merge(h->counts());
    return all;
}

// Merges the latency histograms of every worker's hooks.
template <class H>
std::unique_ptr<Histogram> merged_latency(const std::vector<H*>& hooks) {
    auto all = std::make_unique<Histogram>();
    for (const H* h : hooks) all->merge(h->latency());
    return all;
}

}  // namespace confab::bench
