// SqliteHistory: the history tables on one SQLite connection: per-room sequencing,
// idempotency, group commits, reads and retention steps. Single-threaded: it is owned and
// used by SqliteHistoryStore's store thread only, which gives it its ordering guarantees.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/history_store.hpp"
#include "store/sqlite_db.hpp"
#include "store/store_config.hpp"

namespace confab::store {

// What one retention step did.
struct TrimStep {
    std::uint64_t removed = 0;
    bool pass_done = false;  // every room was visited since the pass began
};

class SqliteHistory {
public:
    static constexpr const char* kFileName = "history.sqlite3";

    // Opens or creates <config.data_dir>/history.sqlite3 with the pragmas of config.sync,
    // takes the database's lock for the life of this object, and migrates the schema. Loads
    // no room eagerly. Throws std::runtime_error with a message naming the cause.
    explicit SqliteHistory(const StoreConfig& config);

    // One group commit: every request in one transaction, one result per request, in order
    // (the strings are moved into the results). If the transaction fails, no request is stored
    // and every result carries the error.
    std::vector<AppendResult> append(std::vector<AppendRequest>&& requests);
    ReadResult read(ReadRequest&& request);

    bool retention_enabled() const { return max_messages_ > 0 || max_age_ms_ > 0; }
    // Deletes at most config.trim_step_messages messages, in one transaction, continuing the
    // current pass over the rooms (a new pass begins after the previous one is done).
    Result<TrimStep> trim_step(std::int64_t now_ms);

    // Makes every commit so far durable: a WAL checkpoint, which fsyncs (unless sync is Off).
    Result<void> checkpoint();
    // Drops the page cache's unused pages (outside a transaction: all of them); the next
    // statements read what they need back from the OS's file cache.
    void release_cache();
    // Heap held by the page cache and the connection's other buffers.
    std::uint64_t cache_bytes() const;

private:
    // A room as the store thread knows it. Invariant: matches the rooms table outside a
    // transaction; inside one it runs ahead and `dirty` marks it for saving (or forgetting
    // on rollback). epoch is empty until the room's first message.
    struct RoomState {
        std::string epoch;
        std::uint64_t last_seq = 0;
        bool dirty = false;
    };
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const {
            return std::hash<std::string_view>{}(s);
        }
    };
    using RoomMap = std::unordered_map<std::string, RoomState, StringHash, std::equal_to<>>;
    using RoomEntry = RoomMap::value_type;  // node-based: its address is stable until erased

    void open_and_configure(const StoreConfig& config);
    void migrate();
    void limit_room_cache();
    Result<RoomEntry*> room(const std::string& name);
    Result<void> append_one(RoomEntry& room, AppendResult& result);
    Result<void> give_epoch(RoomEntry& room);
    Result<void> save_dirty_rooms();
    void abandon_batch(std::vector<AppendResult>& results, const Error& error);
    Result<std::uint64_t> first_seq(std::string_view room);
    Result<void> read_rows(SqliteStatement& stmt, const ReadResult& out, std::uint64_t after,
                           std::uint64_t count, std::vector<StoredMessage>& rows);
    Result<void> fill_read(const RoomState& room, const ReadRequest& request, ReadResult& out);
    // Retention of one room within `budget` deletions; returns (removed, room finished).
    Result<std::pair<std::uint64_t, bool>> trim_room(const std::string& room,
                                                     std::uint64_t last_seq, std::uint64_t budget,
                                                     std::int64_t now_ms);

    SqliteDb db_;
    // Prepared once, reused for the connection's life; destroyed before db_.
    SqliteStatement load_room_;
    SqliteStatement save_room_;
    SqliteStatement insert_;
    SqliteStatement find_duplicate_;
    SqliteStatement first_seq_;
    SqliteStatement read_after_;
    SqliteStatement read_latest_;
    SqliteStatement rooms_after_;
    SqliteStatement oldest_;
    SqliteStatement delete_before_;

    RoomMap rooms_;  // a cache of the rooms table, cleared when it grows past kRoomCacheLimit
    std::vector<RoomEntry*> dirty_;  // rooms changed by the open transaction

    std::uint32_t max_read_messages_;
    std::uint64_t max_messages_;
    std::int64_t max_age_ms_;
    std::uint64_t trim_step_messages_;
    // The retention pass: rooms are visited in name order after trim_cursor_.
    std::string trim_cursor_;
    std::deque<std::pair<std::string, std::uint64_t>> trim_queue_;  // (room, last_seq) to visit
};

}  // namespace confab::store
