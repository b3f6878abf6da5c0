#include "store/sqlite_history.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <random>
#include <stdexcept>

#include "core/log.hpp"
#include "store/sqlite_schema.hpp"
#include "store/sqlite_setup.hpp"

namespace confab::store {
namespace {

// The room cache only saves a lookup per batch; past this many rooms it starts over.
constexpr std::size_t kRoomCacheLimit = 1 << 16;
// Rooms one retention step may look at, so a step stays short even when nothing is trimmed.
constexpr int kTrimRoomsPerStep = 256;
constexpr int kTrimRoomsPage = 64;

// 64 random bits as 16 hex digits. Collisions across wipes are what epochs must avoid, so a
// non-deterministic source, not a seeded PRNG.
std::string new_epoch() {
    std::random_device rd;
    std::uint64_t bits = (std::uint64_t{rd()} << 32) ^ rd();
    return fmt::format("{:016x}", bits);
}

}  // namespace

SqliteHistory::SqliteHistory(const StoreConfig& config)
    : db_(database_file_in(config.data_dir, kFileName, "history store")),
      max_read_messages_(std::max<std::uint32_t>(config.max_read_messages, 1)),
      max_messages_(config.max_messages_per_room),
      max_age_ms_(config.max_age.count()),
      trim_step_messages_(std::max<std::size_t>(config.trim_step_messages, 1)) {
    try {
        open_and_configure(config);
        migrate();
    } catch (const std::runtime_error& e) {
        const int code = sqlite3_errcode(db_.handle()) & 0xff;  // primary code
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
            throw std::runtime_error(fmt::format(
                "{} (is another confab process using data dir {}?)", e.what(), config.data_dir));
        }
        throw;
    }
    load_room_ = db_.prepare(sql::kLoadRoom);
    save_room_ = db_.prepare(sql::kSaveRoom);
    insert_ = db_.prepare(sql::kInsertMessage);
    find_duplicate_ = db_.prepare(sql::kFindDuplicate);
    first_seq_ = db_.prepare(sql::kFirstSeq);
    read_after_ = db_.prepare(sql::kReadAfter);
    read_latest_ = db_.prepare(sql::kReadLatest);
    rooms_after_ = db_.prepare(sql::kRoomsAfter);
    oldest_ = db_.prepare(sql::kOldest);
    delete_before_ = db_.prepare(sql::kDeleteBefore);
}

void SqliteHistory::open_and_configure(const StoreConfig& config) {
    configure_exclusive_wal(db_, config.sync, config.busy_timeout.count(), "history store");
    // 64 MiB of page cache (the default is 2 MB): with many active rooms each group commit
    // touches many b-tree leaves, and they should not have to be read back from the OS.
    db_.exec_or_throw("PRAGMA cache_size = -65536");
    // After a burst the WAL file is truncated back to this size at the next checkpoint.
    db_.exec_or_throw("PRAGMA journal_size_limit = 67108864");
}

void SqliteHistory::migrate() {
    const int version = migrate_schema(db_, sql::kMigrations, "history store");
    if (version != sql::kSchemaVersion) {
        log::info("history store: {} migrated from schema v{} to v{}", db_.path(), version,
                  sql::kSchemaVersion);
    }
}

void SqliteHistory::limit_room_cache() {
    // Only between transactions: pointers in dirty_ must stay valid while one is open.
    if (rooms_.size() > kRoomCacheLimit) rooms_.clear();
}

Result<SqliteHistory::RoomEntry*> SqliteHistory::room(const std::string& name) {
    if (auto it = rooms_.find(name); it != rooms_.end()) return &*it;
    RoomState state;
    {
        StatementScope q(load_room_);
        q->bind(1, name);
        int rc = q->step();
        if (rc == SQLITE_ROW) {
            state.epoch = q->column_text(0);
            state.last_seq = from_sql(q->column_int64(1));
        } else if (rc != SQLITE_DONE) {
            return tl::unexpected(db_.error(rc, "load room"));
        }
    }
    // A room without a row is cached too: it is what a read of an unknown room finds.
    return &*rooms_.emplace(name, std::move(state)).first;
}

std::vector<AppendResult> SqliteHistory::append(std::vector<AppendRequest>&& requests) {
    std::vector<AppendResult> results(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        AppendRequest& rq = requests[i];
        AppendResult& r = results[i];
        r.token = rq.token;
        r.room = std::move(rq.room);
        r.ts_ms = rq.ts_ms;
        r.payload = std::move(rq.payload);
        r.session_id = std::move(rq.session_id);
        r.client_msg_id = std::move(rq.client_msg_id);
    }
    limit_room_cache();
    auto txn = SqliteTransaction::begin(db_);
    if (!txn) {
        abandon_batch(results, txn.error());
        return results;
    }
    for (AppendResult& r : results) {
        if (r.room.empty()) {
            r.error = Error{Errc::BadRequest, "append: empty room name"};
            continue;
        }
        auto state = room(r.room);
        auto done = state ? append_one(**state, r) : Result<void>(tl::unexpected(state.error()));
        if (done) continue;
        if (!db_.in_transaction()) {  // SQLite rolled the whole transaction back
            abandon_batch(results, done.error());
            return results;
        }
        r.error = done.error();  // only this statement failed; the batch goes on
        log::warn("history store: append to {} failed: {}", r.room, done.error().message);
    }
    auto saved = save_dirty_rooms();
    if (saved) saved = txn->commit();
    if (!saved) {
        txn->rollback();
        abandon_batch(results, saved.error());
        return results;
    }
    for (RoomEntry* entry : dirty_) entry->second.dirty = false;
    dirty_.clear();
    return results;
}

Result<void> SqliteHistory::append_one(RoomEntry& entry, AppendResult& r) {
    RoomState& state = entry.second;
    const std::uint64_t seq = state.last_seq + 1;
    int rc;
    {
        StatementScope ins(insert_);
        ins->bind(1, r.room);
        ins->bind(2, as_sql(seq));
        ins->bind(3, r.ts_ms);
        ins->bind(4, r.session_id);
        ins->bind(5, r.client_msg_id);
        ins->bind(6, r.payload);
        rc = ins->step();
    }
    if (rc == SQLITE_DONE) {
        if (state.epoch.empty()) state.epoch = new_epoch();  // the room's first message
        state.last_seq = seq;
        if (!state.dirty) {
            state.dirty = true;
            dirty_.push_back(&entry);
        }
        r.seq = seq;
        r.epoch = state.epoch;
        return {};
    }
    if (rc != SQLITE_CONSTRAINT_UNIQUE || r.client_msg_id.empty()) {
        return tl::unexpected(db_.error(rc, "insert message"));
    }
    // The dedup index refused it: answer with the original, which this connection sees even
    // when it was inserted earlier in this same uncommitted batch.
    StatementScope dup(find_duplicate_);
    dup->bind(1, r.room);
    dup->bind(2, r.session_id);
    dup->bind(3, r.client_msg_id);
    rc = dup->step();
    if (rc != SQLITE_ROW) return tl::unexpected(db_.error(rc, "find duplicate"));
    r.seq = from_sql(dup->column_int64(0));
    r.ts_ms = dup->column_int64(1);
    r.epoch = state.epoch;
    r.duplicate = true;
    return {};
}

Result<void> SqliteHistory::give_epoch(RoomEntry& entry) {
    // A room gets its epoch when it is first read, not only with its first message: a client
    // that joins an empty room must learn an epoch it can resume with later. One autocommit
    // write per new room (reads run between group commits, never inside one).
    if (!entry.second.epoch.empty()) return {};
    std::string epoch = new_epoch();
    StatementScope q(save_room_);
    q->bind(1, entry.first);
    q->bind(2, epoch);
    q->bind(3, as_sql(entry.second.last_seq));
    if (auto r = q->run("save room epoch"); !r) return r;
    entry.second.epoch = std::move(epoch);
    return {};
}

Result<void> SqliteHistory::save_dirty_rooms() {
    for (RoomEntry* entry : dirty_) {
        StatementScope q(save_room_);
        q->bind(1, entry->first);
        q->bind(2, entry->second.epoch);
        q->bind(3, as_sql(entry->second.last_seq));
        if (auto r = q->run("save room"); !r) return r;
    }
    return {};
}

void SqliteHistory::abandon_batch(std::vector<AppendResult>& results, const Error& error) {
    log::error("history store: group commit of {} appends failed: {}", results.size(),
               error.message);
    for (AppendResult& r : results) {
        r.seq = 0;
        r.epoch.clear();
        r.duplicate = false;
        if (!r.error) r.error = error;
    }
    // The cache ran ahead of the rolled-back transaction: forget it, reload on next use.
    std::erase_if(rooms_, [](const auto& kv) { return kv.second.dirty; });
    dirty_.clear();
}

Result<std::uint64_t> SqliteHistory::first_seq(std::string_view room) {
    StatementScope q(first_seq_);
    q->bind(1, room);
    int rc = q->step();
    if (rc == SQLITE_ROW) return from_sql(q->column_int64(0));
    if (rc == SQLITE_DONE) return 0;
    return tl::unexpected(db_.error(rc, "first seq"));
}

ReadResult SqliteHistory::read(ReadRequest&& request) {
    ReadResult out;
    out.token = request.token;
    out.room = std::move(request.room);
    if (out.room.empty()) {
        out.error = Error{Errc::BadRequest, "read: empty room name"};
        return out;
    }
    limit_room_cache();
    auto entry = room(out.room);
    Result<void> filled = entry ? give_epoch(*entry.value()) : Result<void>(tl::unexpected(entry.error()));
    if (filled) filled = fill_read(entry.value()->second, request, out);
    if (!filled) {
        log::warn("history store: read of {} failed: {}", out.room, filled.error().message);
        out.messages.clear();
        out.error = filled.error();
    }
    return out;
}

Result<void> SqliteHistory::fill_read(const RoomState& state, const ReadRequest& request,
                                      ReadResult& out) {
    out.epoch = state.epoch;
    out.last_seq = state.last_seq;
    if (state.last_seq > 0) {
        auto first = first_seq(out.room);
        if (!first) return tl::unexpected(first.error());
        out.first_seq = *first;
    }
    const std::uint32_t limit =
        request.limit == 0 ? max_read_messages_ : std::min(request.limit, max_read_messages_);
    // Retained seqs are exactly first_retained..last_seq (trimming removes a prefix).
    const std::uint64_t first_retained = out.first_seq ? out.first_seq : out.last_seq + 1;

    std::uint64_t after = request.after_seq;
    if (request.epoch && !request.epoch->empty() && *request.epoch != state.epoch) {
        // The client's seqs belong to another history: offer the newest messages, if asked.
        out.epoch_matches = false;
        out.complete = false;
        after = 0;
        if (request.last_n == 0) return {};
    } else if (after > out.last_seq) {
        // The client saw seqs this store no longer has (a tail lost to power loss in Batch or
        // Off mode): the seqs it holds may be reassigned, so it cannot continue from here.
        out.complete = false;
        return {};
    } else {
        out.complete = after + 1 >= first_retained;
    }

    if (request.last_n > 0) {
        const std::uint32_t n = std::min(request.last_n, limit);
        if (auto r = read_rows(read_latest_, out, after, n, out.messages); !r) return r;
        std::reverse(out.messages.begin(), out.messages.end());
        // Older messages after `after` exist when the oldest returned is not the first one.
        const std::uint64_t first_wanted = std::max(after + 1, first_retained);
        out.truncated = !out.messages.empty() && out.messages.front().seq > first_wanted;
    } else {
        // One row more than the limit tells whether the limit cut the range.
        if (auto r = read_rows(read_after_, out, after, std::uint64_t{limit} + 1, out.messages); !r)
            return r;
        if (out.messages.size() > limit) {
            out.messages.pop_back();
            out.truncated = true;
        }
    }
    return {};
}

Result<void> SqliteHistory::read_rows(SqliteStatement& stmt, const ReadResult& out,
                                      std::uint64_t after, std::uint64_t count,
                                      std::vector<StoredMessage>& rows) {
    StatementScope q(stmt);
    q->bind(1, out.room);
    q->bind(2, as_sql(after));
    q->bind(3, as_sql(count));
    rows.reserve(std::min<std::uint64_t>(count, 1024));
    int rc;
    while ((rc = q->step()) == SQLITE_ROW) {
        StoredMessage m;
        m.seq = from_sql(q->column_int64(0));
        m.ts_ms = q->column_int64(1);
        m.session_id = q->column_text(2);
        m.client_msg_id = q->column_text(3);
        m.payload = q->column_text(4);
        rows.push_back(std::move(m));
    }
    if (rc != SQLITE_DONE) return tl::unexpected(db_.error(rc, "read messages"));
    return {};
}

Result<TrimStep> SqliteHistory::trim_step(std::int64_t now_ms) {
    TrimStep step;
    auto txn = SqliteTransaction::begin(db_);
    if (!txn) return tl::unexpected(txn.error());
    std::uint64_t budget = trim_step_messages_;
    for (int visited = 0; visited < kTrimRoomsPerStep && budget > 0; ++visited) {
        if (trim_queue_.empty()) {
            StatementScope q(rooms_after_);
            q->bind(1, trim_cursor_);
            q->bind(2, std::int64_t{kTrimRoomsPage});
            int rc;
            while ((rc = q->step()) == SQLITE_ROW) {
                trim_queue_.emplace_back(std::string(q->column_text(0)),
                                         from_sql(q->column_int64(1)));
            }
            if (rc != SQLITE_DONE) return tl::unexpected(db_.error(rc, "list rooms"));
            if (trim_queue_.empty()) {  // past the last room: the pass is over
                trim_cursor_.clear();
                step.pass_done = true;
                break;
            }
        }
        auto& [name, last_seq] = trim_queue_.front();
        auto trimmed = trim_room(name, last_seq, budget, now_ms);
        if (!trimmed) return tl::unexpected(trimmed.error());
        step.removed += trimmed->first;
        budget -= std::min(budget, trimmed->first);
        if (!trimmed->second) break;  // budget spent inside this room; resume it next step
        trim_cursor_ = std::move(name);
        trim_queue_.pop_front();
    }
    if (auto r = txn->commit(); !r) {
        // Nothing was deleted; the room order is unchanged, so the pass simply starts over.
        trim_queue_.clear();
        trim_cursor_.clear();
        return tl::unexpected(r.error());
    }
    return step;
}

Result<std::pair<std::uint64_t, bool>> SqliteHistory::trim_room(const std::string& room,
                                                                std::uint64_t last_seq,
                                                                std::uint64_t budget,
                                                                std::int64_t now_ms) {
    auto first = first_seq(room);
    if (!first) return tl::unexpected(first.error());
    if (*first == 0) return std::pair<std::uint64_t, bool>{0, true};
    // Delete every seq below `target`, at most `budget` of them now.
    std::uint64_t target = *first;
    if (max_messages_ > 0 && last_seq > max_messages_) {
        target = std::max(target, last_seq - max_messages_ + 1);
    }
    bool more_old = false;  // the age scan stopped at the budget, not at a young message
    if (max_age_ms_ > 0) {
        const std::int64_t cutoff = now_ms - max_age_ms_;
        StatementScope q(oldest_);
        q->bind(1, room);
        q->bind(2, as_sql(budget));
        std::uint64_t scanned = 0;
        std::uint64_t age_target = *first;
        int rc;
        // A prefix only: a message stays while an older-seq one is young (clock skew between
        // loops), so retained seqs remain one contiguous range.
        while ((rc = q->step()) == SQLITE_ROW && q->column_int64(1) < cutoff) {
            age_target = from_sql(q->column_int64(0)) + 1;
            ++scanned;
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return tl::unexpected(db_.error(rc, "scan old messages"));
        }
        more_old = rc == SQLITE_DONE && scanned == budget;
        target = std::max(target, age_target);
    }
    const std::uint64_t upto = std::min(target, *first + budget);
    if (upto > *first) {
        StatementScope del(delete_before_);
        del->bind(1, room);
        del->bind(2, as_sql(upto));
        if (auto r = del->run("trim messages"); !r) return tl::unexpected(r.error());
    }
    const auto removed = static_cast<std::uint64_t>(db_.changes());
    return std::pair<std::uint64_t, bool>{upto > *first ? removed : 0, upto == target && !more_old};
}

void SqliteHistory::release_cache() { sqlite3_db_release_memory(db_.handle()); }

std::uint64_t SqliteHistory::cache_bytes() const {
    int current = 0, highwater = 0;
    sqlite3_db_status(db_.handle(), SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0);
    return static_cast<std::uint64_t>(current);
}

Result<void> SqliteHistory::checkpoint() {
    int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                       nullptr);
    if (rc != SQLITE_OK) return tl::unexpected(db_.error(rc, "wal checkpoint"));
    return {};
}

}  // namespace confab::store
