// The storm scenario on one worker: its receivers (each with a SeqLedger, the session and
// epoch to resume with, and a reconnect time) and, on the worker that owns it, the publisher
// (connection id == receivers). Worker thread only; the main thread reads the results after
// the workers are joined.
#pragma once

#include <cstdint>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "bench/epoll_worker.hpp"
#include "bench/histogram.hpp"
#include "bench/scenarios.hpp"
#include "bench/seq_ledger.hpp"
#include "bench/storm_control.hpp"

namespace confab::bench {

// What the receivers of one or more workers saw, summed.
struct StormTally {
    std::uint64_t receivers = 0;
    std::uint64_t exact = 0;         // saw every acked message once, in order
    std::uint64_t missing = 0;       // acked messages not received (holes and tail)
    std::uint64_t duplicates = 0;    // received again, or out of order
    std::uint64_t skipped = 0;       // holes jumped over (also in missing)
    std::uint64_t beyond_acked = 0;  // receivers that saw a seq never acked
    std::uint64_t resumed = 0;
    std::uint64_t not_recovered = 0;     // joined with recovered:false after the restart
    std::uint64_t errors = 0;            // error replies
    std::uint64_t connect_failures = 0;  // reconnect attempts refused or failed
    std::uint64_t closed_again = 0;      // closed after reconnecting (then reconnected)
    std::uint64_t presence = 0;          // presence events received (every join fans one out)

    void merge(const StormTally& o);
};

// The name of storm room `index` (0..rooms-1).
std::string storm_room(const StormOptions& o, std::uint32_t index);

class StormWorker final : public WorkerHooks {
public:
    StormWorker(const StormOptions& o, EpollWorker& worker, RunControl& control,
                StormControl& storm, StormGauge& gauge);

    void on_open(ClientConn& conn) override;
    void on_message(ClientConn& conn, std::string_view json, std::int64_t now) override;
    void on_closed(ClientConn& conn, const CloseInfo& info) override;
    int on_turn(Phase phase, std::int64_t now) override;

    // After the workers are joined. Loss is counted against each room's last acked seq.
    StormTally tally(const StormControl& storm) const;
    const Histogram& connect_latency() const { return *connect_latency_; }
    const Histogram& resume_latency() const { return *resume_latency_; }
    std::int64_t last_resumed_ns() const { return last_resumed_ns_; }

private:
    struct Receiver {
        std::string session;  // from welcome: kept across the restart
        std::string epoch;    // from the first joined
        SeqLedger ledger;
        std::int64_t connect_started_ns = 0;
        std::uint64_t resume_target = 0;  // last_seq of the resume join
        bool awaiting_resume = false;     // resume join answered, history not all here yet
        bool resumed = false;
    };
    struct Publisher {
        std::uint32_t slot = 0;
        std::string session;
        std::uint64_t target = 0;  // messages to have acked in all (both batches)
        std::uint64_t sent = 0;
        std::uint64_t acked = 0;
        std::uint32_t rooms_joined = 0;
        bool joined = false;  // in every room
    };
    using Due = std::pair<std::int64_t, std::uint32_t>;  // (when, slot)

    bool is_publisher(const ClientConn& conn) const { return conn.id() == receivers_; }
    std::uint32_t room_of(const ClientConn& conn) const { return conn.id() % o_.rooms; }
    std::uint32_t room_index(std::string_view name) const;
    void on_receiver_message(ClientConn& conn, std::string_view json, std::int64_t now);
    void on_publisher_message(std::string_view json);
    void check_resumed(Receiver& r, std::int64_t now);
    void publish_more(std::uint64_t target);
    void top_up();
    void schedule_reconnects();
    void report_caught_up();
    StormStage stage() const { return storm_.stage.load(std::memory_order_acquire); }

    const StormOptions& o_;
    EpollWorker& worker_;
    RunControl& control_;
    StormControl& storm_;
    StormGauge& gauge_;
    std::uint32_t receivers_;               // receiver ids are 0..receivers_-1
    std::vector<Receiver> slots_;           // by slot (the publisher's entry is unused)
    std::unique_ptr<Publisher> publisher_;  // on the worker that owns it
    std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
    std::mt19937_64 rng_;
    bool scheduled_ = false;
    std::int64_t next_caught_up_check_ = 0;
    std::int64_t last_resumed_ns_ = 0;
    StormTally counts_;  // errors, failures, not_recovered; loss is counted in tally()
    std::unique_ptr<Histogram> connect_latency_;
    std::unique_ptr<Histogram> resume_latency_;
};

}  // namespace confab::bench
