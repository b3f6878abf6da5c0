// The SQLite history schema and every statement the engine runs, in one place so the query
// plans can be checked by tests (tests/unit/store/sqlite_schema_test.cpp). Constants only.
#pragma once

namespace confab::store::sql {

// PRAGMA user_version of the newest schema; kMigrations[v] upgrades v → v + 1.
inline constexpr int kSchemaVersion = 1;

inline constexpr const char* kMigrations[kSchemaVersion] = {
    // v0 → v1.
    // rooms: one row per room that ever had a message. last_seq is the newest seq ever
    // assigned (it survives trimming, so seqs are never reused); epoch names this history.
    // messages: WITHOUT ROWID so a room's messages are stored in seq order in the primary key
    // b-tree: a resume (room = ? AND seq > ?) is one seek and a sequential read.
    // messages_dedup: idempotency for messages that carry a client_msg_id.
    R"sql(
CREATE TABLE rooms (
    room     TEXT    NOT NULL PRIMARY KEY,
    epoch    TEXT    NOT NULL,
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE messages (
    room          TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    ts_ms         INTEGER NOT NULL,
    session_id    TEXT    NOT NULL,
    client_msg_id TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_dedup ON messages (room, session_id, client_msg_id)
    WHERE client_msg_id != '';
)sql",
};

inline constexpr const char* kLoadRoom = "SELECT epoch, last_seq FROM rooms WHERE room = ?1";

inline constexpr const char* kSaveRoom =
    "INSERT INTO rooms (room, epoch, last_seq) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq";

inline constexpr const char* kInsertMessage =
    "INSERT INTO messages (room, seq, ts_ms, session_id, client_msg_id, payload) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

// `client_msg_id != ''` repeats the partial index's condition so the planner may use it.
inline constexpr const char* kFindDuplicate =
    "SELECT seq, ts_ms FROM messages "
    "WHERE room = ?1 AND session_id = ?2 AND client_msg_id = ?3 AND client_msg_id != ''";

inline constexpr const char* kFirstSeq =
    "SELECT seq FROM messages WHERE room = ?1 ORDER BY seq LIMIT 1";

// Resume: the oldest ?3 messages after ?2.
inline constexpr const char* kReadAfter =
    "SELECT seq, ts_ms, session_id, client_msg_id, payload FROM messages "
    "WHERE room = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";

// Latest: the newest ?3 messages after ?2 (returned newest first).
inline constexpr const char* kReadLatest =
    "SELECT seq, ts_ms, session_id, client_msg_id, payload FROM messages "
    "WHERE room = ?1 AND seq > ?2 ORDER BY seq DESC LIMIT ?3";

// Retention walks the rooms in name order, a few at a time.
inline constexpr const char* kRoomsAfter =
    "SELECT room, last_seq FROM rooms WHERE room > ?1 ORDER BY room LIMIT ?2";

// The oldest ?2 messages' seq and time, to find the prefix older than max_age.
inline constexpr const char* kOldest =
    "SELECT seq, ts_ms FROM messages WHERE room = ?1 ORDER BY seq LIMIT ?2";

// Deletes a prefix: every message with seq < ?2 (callers bound it to one trim step).
inline constexpr const char* kDeleteBefore = "DELETE FROM messages WHERE room = ?1 AND seq < ?2";

}  // namespace confab::store::sql
