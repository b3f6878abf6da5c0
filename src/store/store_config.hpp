// StoreConfig: how the history store keeps messages (where, how durably, how long).
// Plain values, read once when a store is constructed; any thread may build one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace confab::store {

// What a reported append survives. Every mode runs SQLite in WAL mode, and in every mode an
// append is reported only after its group commit returned, so a *process* crash (SIGKILL,
// abort, OOM kill) never loses a reported append: the commit is in the kernel's page cache.
// The modes differ in what a power loss or kernel crash can take:
enum class SyncMode {
    // synchronous=FULL: the WAL is fsynced by every group commit before its completions are
    // reported. A reported append survives power loss (given a disk that honours fsync).
    Always,
    // synchronous=NORMAL: commits are not fsynced; a WAL checkpoint (which fsyncs the WAL and
    // then the database) runs at most `sync_interval` after the first unsynced commit. A power
    // loss can take the appends reported in roughly the last `sync_interval` (plus the time
    // of one checkpoint), always a whole group commit and always a suffix: the database stays
    // consistent and seqs stay gap-free, but the lost seqs will be assigned again.
    Batch,
    // synchronous=OFF: nothing is ever fsynced by us. A power loss can take any amount of
    // recent history and can corrupt the database file. For tests and throwaway deployments.
    Off,
};

struct StoreConfig {
    // The directory holding the database (`history.sqlite3` plus its -wal file). Created if
    // missing; start-up throws if it cannot be created or written.
    std::string data_dir = "./data";
    SyncMode sync = SyncMode::Batch;
    // Batch mode: the longest time a reported append stays unsynced (see SyncMode::Batch).
    std::chrono::milliseconds sync_interval{1000};
    // Requests submitted but not yet completed; one more is refused with Errc::Backpressure.
    std::size_t queue_limit = 65536;
    // One group commit holds at most this many consecutive appends, or payload bytes (but
    // always at least one append).
    std::size_t batch_max_appends = 4096;
    std::size_t batch_max_bytes = 4u << 20;
    // A read returns at most this many messages (ReadRequest.limit 0 means this many).
    std::uint32_t max_read_messages = 1000;

    // Retention, 0 = unlimited. The oldest messages of a room go first; the room's last_seq
    // and epoch are kept, so seqs are never reused.
    std::uint64_t max_messages_per_room = 0;
    std::chrono::milliseconds max_age{0};
    // How often a trim pass over all rooms starts, and how many messages one trim step (one
    // short transaction, run between request batches) may delete.
    std::chrono::milliseconds trim_interval{1000};
    std::size_t trim_step_messages = 1000;

    // After this long without a request the page cache (up to 64 MiB) is handed back to the
    // allocator and the OS: a server holding idle connections does not keep the pages of
    // their joins' presence events. 0 = never.
    std::chrono::milliseconds release_cache_after{5000};

    // How long start-up waits for a database locked by another process before failing.
    std::chrono::milliseconds busy_timeout{5000};
    // Wall clock for age-based retention, in ms since the Unix epoch (the unit of ts_ms).
    // Empty: std::chrono::system_clock. Tests inject a fixed clock.
    std::function<std::int64_t()> now_ms;
};

}  // namespace confab::store
