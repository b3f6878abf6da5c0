#include "bench/windowed_hooks.hpp"

#include <algorithm>

namespace confab::bench {

WindowedHooks::WindowedHooks(RunControl& control, DrainGauge& gauge)
    : control_(control), gauge_(gauge), latency_(std::make_unique<Histogram>()) {}

bool WindowedHooks::running() {
    if (running_) return true;
    // The main thread wrote the window before it stored Phase::Run (release).
    if (control_.phase.load(std::memory_order_acquire) != Phase::Run) return false;
    window_start_ = control_.measure_start_ns;
    window_end_ = control_.measure_end_ns;
    run_start_ns_ = control_.run_start_ns;
    running_ = true;
    return true;
}

bool WindowedHooks::record_if_sent_in_window(std::int64_t sent_ns, std::int64_t now) {
    if (!in_window(sent_ns)) return false;
    latency_->record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - sent_ns)));
    return true;
}

int WindowedHooks::on_turn(Phase phase, std::int64_t now) {
    if (phase != Phase::Run || !running()) return 20;
    if (!started_) {
        started_ = true;
        start(now);
    }
    const int wait_ms = turn(now);
    const DrainCounts d = drain_counts();
    gauge_.owed.store(d.owed, std::memory_order_relaxed);
    gauge_.settled.store(d.settled, std::memory_order_relaxed);
    if (window_over(now)) gauge_.done_sending.store(true, std::memory_order_release);
    return wait_ms;
}

}  // namespace confab::bench
