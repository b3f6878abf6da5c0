// `confab bench echo`: C clients on /ws/echo, each keeping W messages in flight; measures
// round trips per second and round-trip latency.
#include <memory>
#include <stdexcept>

#include "bench/measured_run.hpp"
#include "bench/payload.hpp"

namespace confab::bench {
namespace {

struct Counts {
    std::uint64_t sent_in_window = 0;
    std::uint64_t returned_in_window = 0;  // of those sent in the window, whenever returned
    std::uint64_t arrived_in_window = 0;   // round trips completed inside the window
    std::uint64_t unexpected = 0;          // not ours, out of order, or duplicated

    void merge(const Counts& o) {
        sent_in_window += o.sent_in_window;
        returned_in_window += o.returned_in_window;
        arrived_in_window += o.arrived_in_window;
        unexpected += o.unexpected;
    }
};

class EchoWorker final : public WindowedHooks {
public:
    EchoWorker(const EchoOptions& o, EpollWorker& worker, RunControl& control, DrainGauge& gauge)
        : WindowedHooks(control, gauge),
          o_(o),
          worker_(worker),
          slots_(worker.size()),
          payload_(make_payload(o.size)) {}

    void on_message(ClientConn& conn, std::string_view payload, std::int64_t now) override {
        PayloadHeader h;
        Slot& s = slots_[conn.slot()];
        if (!read_header(payload, h) || h.sender != conn.id() || h.seq != s.acked) {
            ++counts_.unexpected;
            return;
        }
        running();
        s.acked = h.seq + 1;
        if (record_if_sent_in_window(h.sent_ns, now)) ++counts_.returned_in_window;
        if (in_window(now)) ++counts_.arrived_in_window;
        top_up(conn, now);
    }

    const Counts& counts() const { return counts_; }

private:
    void start(std::int64_t now) override {
        for (std::size_t slot = 0; slot < worker_.size(); ++slot) top_up(worker_.conn(slot), now);
    }
    DrainCounts drain_counts() const override {
        return {counts_.sent_in_window, counts_.returned_in_window};
    }

    struct Slot {
        std::uint64_t next_seq = 0;
        std::uint64_t acked = 0;  // next sequence number expected back
    };

    void top_up(ClientConn& conn, std::int64_t now) {
        if (window_over(now) || !conn.open()) return;
        Slot& s = slots_[conn.slot()];
        while (s.next_seq - s.acked < o_.window) {
            write_header(payload_, {.sender = conn.id(), .seq = s.next_seq++, .sent_ns = now});
            conn.send_binary(payload_);
            if (in_window(now)) ++counts_.sent_in_window;
        }
    }

    const EchoOptions& o_;
    EpollWorker& worker_;
    std::vector<Slot> slots_;
    std::string payload_;
    Counts counts_;
};

}  // namespace

int run_echo(const EchoOptions& o) {
    if (o.size < kPayloadHeaderBytes)
        throw std::invalid_argument("--size must be at least 24 bytes");
    if (o.window == 0) throw std::invalid_argument("--window must be positive");
    const CommonOptions& c = o.common;
    const std::string path =
        c.target.path.empty() || c.target.path == "/" ? "/ws/echo" : c.target.path;
    ScenarioRun run(c, [path](std::uint32_t) { return path; });
    const auto workers = run.install_with<EchoWorker>(o);
    run.connect();
    const RunFacts f = run.measure(o.warmup, o.duration);

    const Counts n = merged_counts(workers);
    const auto latency = merged_latency(workers);
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    Report r("echo");
    r.section("setup");
    r.add_text("url", "url", c.url + (c.target.path.empty() ? path : ""));
    r.add("clients", "clients", c.clients);
    r.add("size", "message size", static_cast<double>(o.size), "B");
    r.add("window", "window per client", o.window);
    add_run_rows(r, f, o.duration);
    r.section("throughput (measurement window)");
    r.add("round_trips_per_s", "round trips", static_cast<double>(n.arrived_in_window) / seconds,
          "/s");
    r.add("sent", "sent in window", static_cast<double>(n.sent_in_window));
    r.add("returned", "returned", static_cast<double>(n.returned_in_window));
    r.add("lost", "lost", static_cast<double>(n.sent_in_window - n.returned_in_window));
    r.add("unexpected", "unexpected replies", static_cast<double>(n.unexpected));
    r.section("latency, round trip (ms)");
    r.add_latency("latency_ms", *latency);
    add_end_rows(r, f);
    return r.print_result(c.json, n.returned_in_window > 0, "no message came back");
}

}  // namespace confab::bench
