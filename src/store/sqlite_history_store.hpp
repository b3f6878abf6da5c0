// SqliteHistoryStore: the embedded HistoryStore engine. Any thread submits to a bounded
// queue; one store thread owns the SQLite connection, is the sequencer, and calls the sink.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "store/history_store.hpp"
#include "store/store_config.hpp"

namespace confab::store {

class SqliteHistory;

// How it works: the store thread takes every queued request at once and processes them in
// submission order. A run of consecutive appends (up to batch_max_appends / batch_max_bytes)
// becomes one transaction — a group commit — and one on_appended call after the commit; a
// read runs where it stands in the queue, so it sees every append submitted before it. Between
// groups the thread does its housekeeping: a WAL checkpoint when sync is Batch and one is due,
// and one short retention step while a trim pass is under way (see StoreConfig).
class SqliteHistoryStore final : public HistoryStore {
public:
    // Opens or creates the database under config.data_dir (see SqliteHistory) and starts the
    // store thread. `sink` must stay valid until stop() returns. Throws std::runtime_error
    // when the data dir or database cannot be used (not writable, locked by another process,
    // newer schema, ...).
    SqliteHistoryStore(StoreConfig config, HistorySink& sink);
    ~SqliteHistoryStore() override;  // stop()
    SqliteHistoryStore(const SqliteHistoryStore&) = delete;
    SqliteHistoryStore& operator=(const SqliteHistoryStore&) = delete;

    // Thread-safe; never blocks on disk (only on the queue's mutex). The request is consumed
    // even when refused.
    Result<void> submit(AppendRequest request) override;
    Result<void> submit(ReadRequest request) override;
    // Also checkpoints and closes the database, releasing its lock: after stop() returns the
    // data dir may be opened again.
    void stop() override;
    StoreStats stats() const override;

private:
    using Request = std::variant<AppendRequest, ReadRequest>;
    using Clock = std::chrono::steady_clock;

    Result<void> enqueue(Request&& request);
    void run();
    void process(std::deque<Request>& work);
    void append_group(std::deque<Request>& work);
    void housekeeping();
    void release_idle_cache(Clock::time_point now);
    std::optional<Clock::time_point> next_housekeeping() const;
    std::int64_t now_ms() const;

    const StoreConfig config_;
    HistorySink& sink_;
    std::unique_ptr<SqliteHistory> history_;  // store thread only; closed when it exits

    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::deque<Request> queue_;  // guarded by mu_
    bool stopping_ = false;      // guarded by mu_; once set, nothing more is queued
    // Submitted and not yet reported: the queue bound. Incremented under mu_ (so the check
    // and the increment are one step), decremented by the store thread after the sink call.
    std::atomic<std::size_t> depth_{0};
    std::mutex join_mu_;  // serialises concurrent stop() calls around join

    std::atomic<std::uint64_t> appends_{0};
    std::atomic<std::uint64_t> duplicates_{0};
    std::atomic<std::uint64_t> failed_appends_{0};
    std::atomic<std::uint64_t> batches_{0};
    std::atomic<std::uint64_t> batched_requests_{0};
    std::atomic<std::uint64_t> reads_{0};
    std::atomic<std::uint64_t> trimmed_{0};
    std::atomic<std::uint64_t> cache_bytes_{0};
    std::atomic<std::uint64_t> cache_releases_{0};

    // Store thread only.
    std::optional<Clock::time_point> unsynced_since_;  // Batch mode: first commit not yet synced
    Clock::time_point next_trim_pass_;
    bool trim_pass_running_ = false;
    std::uint64_t pass_removed_ = 0;
    // Requests handled since the cache was last released, and when the last of them was.
    std::optional<Clock::time_point> cache_used_at_;

    std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace confab::store
