// One bench worker thread: an epoll loop owning a share of the client connections, pacing
// their connects, and driving a scenario's per-worker logic (WorkerHooks). Everything here
// runs on the worker's thread except RunControl, the only state shared with the main thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/target.hpp"
#include "bench/ws_client_conn.hpp"

namespace confab::bench {

enum class Phase : int { Connect, Run, Stop };

// When a connection counts as ready: when its handshake completes (plain rooms, echo), or
// when the scenario's hooks say so with RunControl::mark_ready (confab.v1 after `joined`).
enum class ReadyWhen { Open, HooksSay };

// The main thread's orders to the workers, and what workers report back while running.
class RunControl {
public:
    // Set by the main thread before it stores Phase::Run (release); workers read them after
    // loading Phase::Run (acquire). CLOCK_MONOTONIC ns.
    std::int64_t run_start_ns = 0;
    std::int64_t measure_start_ns = 0;
    std::int64_t measure_end_ns = 0;

    std::atomic<Phase> phase{Phase::Connect};
    std::atomic<std::uint32_t> connected{0};  // handshakes completed (all workers)
    // Connections ready for the run: open, or (ReadyWhen::HooksSay) marked by the hooks,
    // e.g. once a confab.v1 join was answered. connect_all waits for every one.
    std::atomic<std::uint32_t> ready{0};
    void mark_ready() { ready.fetch_add(1, std::memory_order_relaxed); }

    // Records the first failure (later ones are dropped); the main thread aborts the run.
    void fail(std::string message);
    bool failed() const { return failed_.load(std::memory_order_acquire); }
    std::string error() const;

private:
    std::atomic<bool> failed_{false};
    mutable std::mutex mutex_;
    std::string error_;  // guarded by mutex_
};

// A scenario's logic for one worker; called on that worker's thread only.
class WorkerHooks {
public:
    virtual ~WorkerHooks() = default;
    virtual void on_open(ClientConn& conn) { (void)conn; }
    virtual void on_message(ClientConn& conn, std::string_view payload, std::int64_t now_ns) = 0;
    // Also for a connect that failed during Phase::Run (info.was_open false: a reconnect
    // attempt); during Phase::Connect such a failure aborts the run instead.
    virtual void on_closed(ClientConn& conn, const CloseInfo& info) { (void)conn, (void)info; }
    // Once per loop turn, after I/O and before flushing. Returns how many ms the loop may
    // wait for I/O before it needs the next turn (the worker caps it at 20 ms).
    virtual int on_turn(Phase phase, std::int64_t now_ns) = 0;
};

// How connections ended during the run (not counting the bench's own closes at the end).
struct CloseStats {
    std::map<std::uint16_t, std::uint64_t> by_code;  // server Close codes; 1006: dropped
    std::uint64_t protocol_errors = 0;               // we closed: the server broke RFC 6455
    std::string first_reason;

    void merge(const CloseStats& other);
    std::uint64_t total() const;
};

struct ConnSpec {
    std::uint32_t id;       // global index
    std::string path;       // request target
    const in_addr* source;  // bind address, or nullptr
};

class EpollWorker final : public ConnEvents {
public:
    EpollWorker(const Target& target, std::vector<ConnSpec> specs, RunControl& control,
                unsigned max_pending_connects, ReadyWhen ready_when = ReadyWhen::Open);
    ~EpollWorker() override;

    // Must be called before run(); `hooks` must outlive run().
    void set_hooks(WorkerHooks& hooks) { hooks_ = &hooks; }
    // The thread body: connects, serves I/O and hooks until Phase::Stop, then closes every
    // connection (Close 1000) and returns.
    void run();

    // Connects a closed connection again (its socket, handshake and frame reader are new).
    // Worker thread only, from on_turn: never from inside a connection's callback.
    void connect_now(std::size_t slot);

    std::size_t size() const { return conns_.size(); }
    ClientConn& conn(std::size_t slot) { return *conns_[slot]; }
    const CloseStats& close_stats() const { return closes_; }

private:
    // ConnEvents
    void on_open(ClientConn& conn) override;
    void on_message(ClientConn& conn, std::string_view payload, std::int64_t now_ns) override;
    void on_closed(ClientConn& conn, const CloseInfo& info) override;
    void on_dirty(ClientConn& conn) override { dirty_.push_back(&conn); }

    void start_connects();
    void flush_dirty();
    void close_all();

    const Target& target_;
    std::vector<ConnSpec> specs_;
    RunControl& control_;
    WorkerHooks* hooks_ = nullptr;
    ReadyWhen ready_when_;
    int epoll_fd_ = -1;
    unsigned max_pending_;
    unsigned pending_ = 0;                            // connects + handshakes under way
    std::size_t next_connect_ = 0;                    // specs_[next_connect_..] not started yet
    std::vector<std::unique_ptr<ClientConn>> conns_;  // never shrinks: pointers stay valid
    std::vector<ClientConn*> dirty_;                  // have queued bytes this turn
    std::vector<std::uint8_t> scratch_;               // one receive buffer for all conns
    CloseStats closes_;
};

}  // namespace confab::bench
