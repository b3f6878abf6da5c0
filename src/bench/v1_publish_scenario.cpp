// `confab bench v1-publish`: confab.v1 QoS 1 publishing. Each client says hello, joins its own
// room and keeps W messages un-acked; measures acked messages per second (the durable publish
// path: store queue, group commit, fsync per --sync, ack) and publish-to-ack latency.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/measured_run.hpp"
#include "bench/v1_text.hpp"

namespace confab::bench {
namespace {

struct Counts {
    std::uint64_t sent_in_window = 0;
    std::uint64_t acked_of_window = 0;  // sent in the window, acked whenever
    std::uint64_t acked_in_window = 0;  // acks that arrived inside the window
    std::uint64_t errors = 0;           // "error" replies, or acks out of order

    void merge(const Counts& o) {
        sent_in_window += o.sent_in_window;
        acked_of_window += o.acked_of_window;
        acked_in_window += o.acked_in_window;
        errors += o.errors;
    }
};

std::string room_of(const ClientConn& conn) {
    return "bench-v1-" + std::to_string(conn.id());
}

class V1PublishWorker final : public WindowedHooks {
public:
    V1PublishWorker(const V1PublishOptions& o, EpollWorker& worker, RunControl& control,
                    DrainGauge& gauge)
        : WindowedHooks(control, gauge),
          o_(o),
          worker_(worker),
          slots_(worker.size()),
          data_(o.size, 'x') {}

    void on_open(ClientConn& conn) override {
        conn.send_text(v1::hello("bench"));
        conn.send_text(v1::join(room_of(conn)));
    }

    void on_message(ClientConn& conn, std::string_view json, std::int64_t now) override {
        Slot& s = slots_[conn.slot()];
        switch (v1::type_of(json)) {
            case v1::Type::Joined:
                s.joined = true;
                control_.mark_ready();
                return top_up(conn, now);
            case v1::Type::Error:
                ++counts_.errors;
                return;
            case v1::Type::Ack:
                break;
            default:
                return;  // our own msg, presence
        }
        // ids are "<seq>": acks come back in publish order for one publisher.
        if (v1::uint_field(json, "id") != s.acked) {
            ++counts_.errors;
            return;
        }
        running();
        const std::int64_t sent = s.sent_ns[s.acked % kRing];
        ++s.acked;
        if (record_if_sent_in_window(sent, now)) ++counts_.acked_of_window;
        if (in_window(now)) ++counts_.acked_in_window;
        top_up(conn, now);
    }

    const Counts& counts() const { return counts_; }

private:
    static constexpr std::size_t kRing = 4096;  // > any sensible window
    struct Slot {
        bool joined = false;
        std::uint64_t next_seq = 0;
        std::uint64_t acked = 0;
        std::vector<std::int64_t> sent_ns = std::vector<std::int64_t>(kRing);
    };

    void start(std::int64_t now) override {
        for (std::size_t slot = 0; slot < worker_.size(); ++slot) top_up(worker_.conn(slot), now);
    }
    DrainCounts drain_counts() const override {
        return {counts_.sent_in_window, counts_.acked_of_window};
    }

    void top_up(ClientConn& conn, std::int64_t now) {
        Slot& s = slots_[conn.slot()];
        if (!running() || !s.joined || window_over(now) || !conn.open()) return;
        while (s.next_seq - s.acked < o_.window) {
            const std::uint64_t seq = s.next_seq++;
            s.sent_ns[seq % kRing] = now;
            conn.send_text(v1::pub(room_of(conn), 1, std::to_string(seq), data_));
            if (in_window(now)) ++counts_.sent_in_window;
        }
    }

    const V1PublishOptions& o_;
    EpollWorker& worker_;
    std::vector<Slot> slots_;
    std::string data_;
    Counts counts_;
};

}  // namespace

int run_v1_publish(const V1PublishOptions& o) {
    if (o.window == 0 || o.window > 1024) throw std::invalid_argument("--window must be 1-1024");
    const CommonOptions& c = o.common;
    ScenarioRun run(
        c, [](std::uint32_t) { return std::string("/ws"); }, ReadyWhen::HooksSay);
    const auto workers = run.install_with<V1PublishWorker>(o);
    run.connect();
    const RunFacts f = run.measure(o.warmup, o.duration);

    const Counts n = merged_counts(workers);
    const auto latency = merged_latency(workers);
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    Report r("v1-publish");
    r.section("setup");
    r.add_text("url", "url", c.url);
    r.add("clients", "publishers (one room each)", c.clients);
    r.add("size", "data size", static_cast<double>(o.size), "B");
    r.add("window", "un-acked per publisher", o.window);
    add_run_rows(r, f, o.duration);
    r.section("throughput (measurement window)");
    r.add("acked_per_s", "acked QoS 1 messages", static_cast<double>(n.acked_in_window) / seconds,
          "/s");
    r.add("sent", "sent in window", static_cast<double>(n.sent_in_window));
    r.add("unacked", "never acked", static_cast<double>(n.sent_in_window - n.acked_of_window));
    r.add("errors", "errors / out-of-order acks", static_cast<double>(n.errors));
    r.section("latency, publish to ack (ms)");
    r.add_latency("latency_ms", *latency);
    add_end_rows(r, f);
    return r.print_result(c.json, n.acked_in_window > 0, "no ack arrived");
}

}  // namespace confab::bench
