#include "bench/measured_run.hpp"

#include <stdexcept>

#include "bench/proc_stats.hpp"

namespace confab::bench {

ScenarioRun::ScenarioRun(const CommonOptions& common, PathOf path_of, ReadyWhen ready_when)
    : common_(common),
      pool_(PoolOptions{
          .target = common.target,
          .clients = common.clients,
          .threads = common.threads,
          .source_addrs = common.source_addrs,
          .path_of = std::move(path_of),
          .connect_timeout = common.connect_timeout,
          .ready_when = ready_when,
      }) {
    gauges_ = std::make_unique<DrainGauge[]>(pool_.size());
}

ScenarioRun::~ScenarioRun() {
    pool_.stop();
}

void ScenarioRun::connect() {
    auto connected = pool_.connect_all();
    if (!connected) throw std::runtime_error(connected.error().message);
    connect_time_ = *connected;
}

bool ScenarioRun::drained() const {
    std::uint64_t owed = 0, settled = 0;
    for (std::size_t i = 0; i < pool_.size(); ++i) {
        if (!gauges_[i].done_sending.load(std::memory_order_acquire)) return false;
        owed += gauges_[i].owed.load(std::memory_order_relaxed);
        settled += gauges_[i].settled.load(std::memory_order_relaxed);
    }
    return settled >= owed;
}

RunFacts ScenarioRun::measure(Millis warmup, Millis duration) {
    RunControl& ctl = pool_.control();
    CpuMeter cpu(common_.server_pid);
    pool_.begin_run(warmup, duration);
    pool_.wait_until(ctl.measure_start_ns);
    cpu.start();
    pool_.wait_until(ctl.measure_end_ns);
    cpu.stop();
    // Sending has stopped; give what is in flight kDrainGrace to arrive.
    pool_.wait_until(ctl.measure_end_ns + std::chrono::nanoseconds(kDrainGrace).count(),
                     [this] { return drained(); });
    RunFacts f{.connect = connect_time_,
               .drain_ms = static_cast<double>(monotonic_ns() - ctl.measure_end_ns) / 1e6,
               .threads = pool_.size(),
               .bench_cpu = cpu.bench_percent(),
               .server_cpu = cpu.server_percent()};
    stop(f);
    return f;
}

RunFacts ScenarioRun::hold(Millis duration) {
    CpuMeter cpu(common_.server_pid);
    cpu.start();
    pool_.begin_run(std::chrono::nanoseconds(0), duration);
    pool_.wait_until(pool_.control().measure_end_ns);
    cpu.stop();
    return RunFacts{.connect = connect_time_,
                    .threads = pool_.size(),
                    .bench_cpu = cpu.bench_percent(),
                    .server_cpu = cpu.server_percent()};
}

void ScenarioRun::stop(RunFacts& facts) {
    pool_.stop();
    facts.closes = pool_.close_stats();
}

void add_run_rows(Report& r, const RunFacts& f, Millis duration) {
    r.add("threads", "bench threads", static_cast<double>(f.threads));
    r.add("duration_s", "measured", static_cast<double>(duration.count()) / 1000.0, "s", 1);
    r.add("connect_ms", "connect (all clients)", static_cast<double>(f.connect.count()) / 1e6, "ms",
          1);
}

void add_end_rows(Report& r, const RunFacts& f) {
    r.add_cpu(f.bench_cpu, f.server_cpu);
    r.section("connections lost during the run");
    r.add_closes(f.closes);
}

}  // namespace confab::bench
