// `confab bench storm`: a reconnect storm after a server restart. The sequence is driven
// from here (main thread) through StormControl; the clients' side is StormWorker. The
// restart itself happens outside the bench (bench/storm.sh): the bench says when it is ready
// and then only watches the connections close and the port accept again.
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "bench/measured_run.hpp"
#include "bench/server_probe.hpp"
#include "bench/storm_worker.hpp"

namespace confab::bench {
namespace {

constexpr std::chrono::milliseconds kProbeInterval{2};

// The main thread's view of the workers' gauges.
class StormWatch {
public:
    StormWatch(const StormGauge* gauges, std::size_t workers, const StormControl& storm,
               std::uint32_t receivers)
        : gauges_(gauges), workers_(workers), storm_(storm), receivers_(receivers) {}

    std::uint32_t closed() const { return sum(&StormGauge::closed); }
    std::uint32_t resumed() const { return sum(&StormGauge::resumed); }
    // `total` messages are acked, and every receiver has seen its room's last acked one.
    bool all_caught_up(std::uint64_t total) const {
        const std::uint64_t acked = storm_.acked.load(std::memory_order_acquire);
        if (acked < total) return false;
        for (std::size_t i = 0; i < workers_; ++i) {
            if (gauges_[i].caught_up_of.load(std::memory_order_acquire) != acked) return false;
        }
        return sum(&StormGauge::caught_up) >= receivers_;
    }
    std::int64_t first_close_ns() const {
        std::int64_t t = INT64_MAX;
        for (std::size_t i = 0; i < workers_; ++i)
            t = std::min(t, gauges_[i].first_close_ns.load());
        return t;
    }
    std::int64_t last_close_ns() const {
        std::int64_t t = 0;
        for (std::size_t i = 0; i < workers_; ++i) t = std::max(t, gauges_[i].last_close_ns.load());
        return t;
    }

private:
    std::uint32_t sum(std::atomic<std::uint32_t> StormGauge::*field) const {
        std::uint32_t n = 0;
        for (std::size_t i = 0; i < workers_; ++i)
            n += (gauges_[i].*field).load(std::memory_order_relaxed);
        return n;
    }

    const StormGauge* gauges_;
    std::size_t workers_;
    const StormControl& storm_;
    std::uint32_t receivers_;
};

struct StormTimes {
    std::int64_t connect_ns = 0;      // first connect and join, all clients
    std::int64_t first_close_ns = 0;  // the first connection the restart closed
    std::int64_t last_close_ns = 0;
    std::int64_t accepting_ns = 0;      // the restarted server accepted a probe
    std::int64_t all_resumed_ns = 0;    // the last receiver resumed (0: not all did)
    std::int64_t all_caught_up_ns = 0;  // every receiver had every acked message (0: not)
};

void announce_ready(const StormOptions& o, std::uint64_t acked) {
    std::cerr << "confab bench storm: " << o.common.clients << " clients hold all " << acked
              << " acked messages: ready for the restart" << std::endl;
    if (o.ready_file.empty()) return;
    std::ofstream(o.ready_file) << acked << "\n";
}

double ms_between(std::int64_t from, std::int64_t to) {
    return to == 0 ? -1.0 : static_cast<double>(to - from) / 1e6;
}

Report make_report(const StormOptions& o, const StormTimes& t, const StormTally& n,
                   std::uint64_t acked, const Histogram& connect, const Histogram& resume,
                   const RunFacts& f) {
    Report r("storm");
    r.section("setup");
    r.add_text("url", "url", o.common.url);
    r.add_text("room", "room", o.room);
    r.add("rooms", "rooms", o.rooms);
    r.add("clients", "receivers (and 1 publisher)", o.common.clients);
    r.add("messages_before", "QoS 1 msgs/room before restart",
          static_cast<double>(o.messages_before));
    r.add("messages_after", "QoS 1 msgs/room after it", static_cast<double>(o.messages_after));
    r.add("jitter_ms", "reconnect jitter", static_cast<double>(o.jitter.count()), "ms");
    r.add("threads", "bench threads", static_cast<double>(f.threads));
    r.add("connect_ms", "first connect + join (all)", static_cast<double>(t.connect_ns) / 1e6, "ms",
          1);
    r.section("restart (ms; -1: did not happen)");
    r.add("outage_ms", "first close -> accepting again",
          ms_between(t.first_close_ns, t.accepting_ns), "ms", 1);
    r.add("close_spread_ms", "first close -> last close",
          ms_between(t.first_close_ns, t.last_close_ns), "ms", 1);
    r.add("resume_all_ms", "accepting -> all resumed", ms_between(t.accepting_ns, t.all_resumed_ns),
          "ms", 1);
    r.add("caught_up_all_ms", "accepting -> all have every ack",
          ms_between(t.accepting_ns, t.all_caught_up_ns), "ms", 1);
    r.section("reconnect: connect() to 101 (ms)");
    r.add_latency("connect_latency_ms", connect);
    r.section("resume: accepting to resumed, per receiver (ms)");
    r.add_latency("resume_latency_ms", resume);
    r.section("delivery of acked messages (every receiver, whole run)");
    r.add("acked", "acked messages (all rooms)", static_cast<double>(acked));
    r.add("resumed", "receivers resumed", static_cast<double>(n.resumed));
    r.add("exact", "receivers with all, once, in order", static_cast<double>(n.exact));
    r.add("loss.missing", "missing", static_cast<double>(n.missing));
    r.add("loss.duplicates", "duplicates / out of order", static_cast<double>(n.duplicates));
    r.add("loss.gaps", "seqs skipped (in missing)", static_cast<double>(n.skipped));
    r.add("loss.beyond_acked", "receivers past the last ack", static_cast<double>(n.beyond_acked));
    r.add("not_recovered", "resume joins not recovered", static_cast<double>(n.not_recovered));
    r.add("errors", "error replies", static_cast<double>(n.errors));
    r.add("connect_failures", "reconnect attempts failed", static_cast<double>(n.connect_failures));
    r.add("closed_again", "closed again after reconnecting", static_cast<double>(n.closed_again));
    r.add("presence", "presence events received", static_cast<double>(n.presence));
    r.section("connections closed by the restart (and after)");
    r.add_closes(f.closes);
    return r;
}

bool clean(const StormTally& n, const StormTimes& t) {
    return t.all_resumed_ns != 0 && t.all_caught_up_ns != 0 && n.missing == 0 &&
           n.duplicates == 0 && n.beyond_acked == 0 && n.not_recovered == 0 && n.errors == 0 &&
           n.exact == n.receivers;
}

// The main thread's side of the stages, in order (the workers follow StormControl::stage).
class StormSequence {
public:
    // `common` is the pool's: clients include the publisher.
    StormSequence(const StormOptions& o, const CommonOptions& common, WorkerPool& pool,
                  StormControl& storm, const StormWatch& watch)
        : o_(o), common_(common), pool_(pool), storm_(storm), watch_(watch) {}

    // The publisher's messages before the restart, acked and at every receiver. Throws
    // std::runtime_error when that takes longer than the resume timeout.
    void before_restart() {
        pool_.begin_run(std::chrono::nanoseconds(0), std::chrono::hours(24));  // no window
        storm_.stage.store(StormStage::Publish, std::memory_order_release);
        const std::uint64_t total = o_.messages_before * o_.rooms;
        const auto done = [&] { return watch_.all_caught_up(total); };
        if (!pool_.wait_until(after(o_.resume_timeout), done) || !done()) {
            throw std::runtime_error(
                "the messages before the restart were not all acked and received");
        }
    }

    // Says "ready", waits for every connection to close and for the port to accept again
    // (throws when either takes longer than the outage timeout), lets every client
    // reconnect, and waits up to the resume timeout for all to resume and catch up.
    void through_restart(StormTimes& t) {
        announce_ready(o_, storm_.acked.load());
        storm_.stage.store(StormStage::AwaitOutage, std::memory_order_release);
        const auto gone = [&] { return watch_.closed() >= common_.clients; };
        if (!pool_.wait_until(after(o_.outage_timeout), gone) || !gone()) {
            throw std::runtime_error(
                "the server did not go away: " + std::to_string(watch_.closed()) + " of " +
                std::to_string(common_.clients) + " connections closed");
        }
        t.first_close_ns = watch_.first_close_ns();
        t.last_close_ns = watch_.last_close_ns();
        const auto accepting =
            wait_until_accepting(common_.target, after(o_.outage_timeout), kProbeInterval);
        if (!accepting) throw std::runtime_error("the server did not come back");
        t.accepting_ns = *accepting;
        storm_.accepting_ns = *accepting;
        storm_.stage.store(StormStage::Reconnect, std::memory_order_release);
        const std::uint64_t total = (o_.messages_before + o_.messages_after) * o_.rooms;
        const std::uint32_t receivers = common_.clients - 1;
        const auto done = [&] {
            return watch_.resumed() >= receivers && watch_.all_caught_up(total);
        };
        const std::int64_t deadline =
            t.accepting_ns + std::chrono::nanoseconds(o_.resume_timeout).count();
        if (pool_.wait_until(deadline, done) && done()) t.all_caught_up_ns = monotonic_ns();
    }

private:
    static std::int64_t after(Millis d) {
        return monotonic_ns() + std::chrono::nanoseconds(d).count();
    }

    const StormOptions& o_;
    const CommonOptions& common_;
    WorkerPool& pool_;
    StormControl& storm_;
    const StormWatch& watch_;
};

void validate(const StormOptions& o) {
    if (o.window == 0 || o.window > 1024) throw std::invalid_argument("--window must be 1-1024");
    if (o.room.empty() || o.room.find_first_of("\"\\") != std::string::npos) {
        throw std::invalid_argument("--room must be a room name");
    }
    if (o.jitter.count() < 0) throw std::invalid_argument("--jitter must not be negative");
    if (o.rooms == 0 || o.rooms > o.common.clients)
        throw std::invalid_argument("--rooms must be 1..clients");
}

}  // namespace

int run_storm(const StormOptions& o) {
    validate(o);
    CommonOptions c = o.common;
    const std::uint32_t receivers = c.clients;
    c.clients = receivers + 1;  // the publisher is connection `receivers`
    StormControl storm(o.rooms);
    std::unique_ptr<StormGauge[]> gauges;  // outlives the workers (declared before the run)
    ScenarioRun run(
        c, [](std::uint32_t) { return std::string("/ws"); }, ReadyWhen::HooksSay);
    gauges = std::make_unique<StormGauge[]>(run.pool().size());
    std::size_t next_gauge = 0;
    const auto workers =
        run.install<StormWorker>([&](EpollWorker& w, RunControl& ctl, DrainGauge&) {
            return std::make_unique<StormWorker>(o, w, ctl, storm, gauges[next_gauge++]);
        });
    const StormWatch watch(gauges.get(), run.pool().size(), storm, receivers);
    StormSequence sequence(o, c, run.pool(), storm, watch);

    StormTimes t;
    const std::int64_t started = monotonic_ns();
    run.connect();
    t.connect_ns = monotonic_ns() - started;
    sequence.before_restart();
    sequence.through_restart(t);
    RunFacts f{.connect = std::chrono::nanoseconds(t.connect_ns), .threads = run.pool().size()};
    run.stop(f);

    StormTally n;
    auto connect = std::make_unique<Histogram>();
    auto resume = std::make_unique<Histogram>();
    for (const StormWorker* w : workers) {
        n.merge(w->tally(storm));
        connect->merge(w->connect_latency());
        resume->merge(w->resume_latency());
        t.all_resumed_ns = std::max(t.all_resumed_ns, w->last_resumed_ns());
    }
    if (n.resumed < receivers) t.all_resumed_ns = 0;
    make_report(o, t, n, storm.acked.load(), *connect, *resume, f).print(std::cout, c.json);
    if (clean(n, t)) return 0;
    std::cerr << "confab bench storm: FAILED: " << n.resumed << " of " << receivers << " resumed, "
              << n.missing << " missing, " << n.duplicates << " duplicates, " << n.not_recovered
              << " not recovered, " << n.errors << " errors\n";
    return 1;
}

}  // namespace confab::bench
