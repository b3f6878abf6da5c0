// SqliteResourceStore: the embedded ResourceStore engine, <data_dir>/resources.sqlite3. Any
// thread submits to a bounded queue; one store thread owns the SQLite connection, applies the
// requests in order (so conditional writes are serialised) and calls the sink.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "store/resource_store.hpp"
#include "store/store_config.hpp"

namespace confab::store {

struct ResourceStoreConfig {
    // The directory holding resources.sqlite3 (plus its -wal file); created if missing.
    std::string data_dir = "./data";
    // As for the history (see SyncMode): Always fsyncs every group commit before reporting it;
    // Batch reports after the commit and checkpoints (fsync) within sync_interval; Off never
    // fsyncs. In every mode a reported write survives a process crash.
    SyncMode sync = SyncMode::Batch;
    std::chrono::milliseconds sync_interval{1000};
    // Requests submitted and not yet completed; one more is refused with Errc::Backpressure.
    std::size_t queue_limit = 4096;
    // Consecutive requests applied in one transaction (one commit, one sink call).
    std::size_t batch_max_requests = 256;
    // The largest document, as compact JSON text (0: unlimited). Writes that would store a
    // larger one answer TooLarge. The HTTP API passes its body limit.
    std::size_t max_document_bytes = 0;
    // The largest List page.
    std::uint32_t max_list = 1000;
    std::chrono::milliseconds busy_timeout{5000};
    // Wall clock (ms since the Unix epoch) for the ids of Create; empty: system_clock.
    std::function<std::int64_t()> now_ms;
};

class SqliteResourceStore final : public ResourceStore {
public:
    static constexpr const char* kFileName = "resources.sqlite3";

    // Opens or creates the database, takes its lock for the store's life (a second process on
    // the same data dir fails here), migrates the schema, and starts the store thread. `sink`
    // must stay valid until stop() returns. Throws std::runtime_error naming the cause.
    SqliteResourceStore(ResourceStoreConfig config, ResourceSink& sink);
    ~SqliteResourceStore() override;  // stop()
    SqliteResourceStore(const SqliteResourceStore&) = delete;
    SqliteResourceStore& operator=(const SqliteResourceStore&) = delete;

    // Thread-safe; blocks only on the queue's mutex. The request is consumed even if refused.
    Result<void> submit(ResourceRequest request) override;
    // Also checkpoints and closes the database: afterwards the data dir may be opened again.
    void stop() override;

private:
    class Tables;  // the SQLite connection and statements; store thread only
    using Clock = std::chrono::steady_clock;

    void run();
    // Applies up to batch_max_requests requests from the front of `work` in one transaction,
    // then reports them.
    void apply_batch(std::deque<ResourceRequest>& work);
    void checkpoint_if_due(bool force);

    const ResourceStoreConfig config_;
    ResourceSink& sink_;
    std::unique_ptr<Tables> tables_;  // store thread only once started; closed when it exits

    std::mutex mu_;
    std::condition_variable wake_;
    std::deque<ResourceRequest> queue_;  // guarded by mu_
    bool stopping_ = false;              // guarded by mu_; once set, nothing more is queued
    // Submitted and not yet reported: the queue bound (incremented under mu_, decremented by
    // the store thread after the sink call).
    std::atomic<std::size_t> depth_{0};
    std::mutex join_mu_;  // serialises concurrent stop() calls around join

    std::optional<Clock::time_point> unsynced_since_;  // store thread: Batch mode only

    std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace confab::store
