// HistoryStore: the durable, sequenced message history of confab.v1 rooms (QoS 1 messages).
// Any thread may submit; one store thread per instance processes requests in submission order
// and is the only caller of the HistorySink. Engines: SqliteHistoryStore (later a Redis one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace confab::store {

// Persist one message and give it the room's next seq.
struct AppendRequest {
    std::string room;  // non-empty
    // The publisher's public identity (a confab.v1 client's member id, "telnet-<n>", "api"),
    // never a secret: history is readable by anyone who may join the room.
    std::string session_id;
    // With session_id, names the message for idempotency: while a message with the same
    // (room, session_id, client_msg_id) is retained, the append is a duplicate. Empty: no dedup.
    std::string client_msg_id;
    std::string payload;      // JSON text, stored and returned verbatim
    std::int64_t ts_ms = 0;   // server receive time, ms since the Unix epoch (used for max_age)
    std::uint64_t token = 0;  // caller's cookie, returned untouched
};

struct AppendResult {
    std::uint64_t token = 0;
    std::string room;
    // The message's seq: 1, 2, 3, ... per room, strictly increasing without gaps. For a
    // duplicate, the seq (and ts_ms) of the original message.
    std::uint64_t seq = 0;
    std::string epoch;       // the room's history epoch (see ReadRequest::epoch)
    bool duplicate = false;  // nothing was stored
    std::int64_t ts_ms = 0;
    // Moved back from the request so the caller can fan out what was persisted.
    std::string payload;
    std::string session_id;
    std::string client_msg_id;
    // Set when the append was not stored (seq is 0); nothing else in this result is meaningful
    // except token and the moved-back request fields.
    std::optional<Error> error;
};

// Read a room's history. Two shapes:
//  * resume (last_n == 0): the oldest `limit` messages with seq > after_seq;
//  * latest (last_n > 0):  the newest min(last_n, limit) messages with seq > after_seq.
// If `epoch` is set, non-empty and differs from the room's epoch (the history was wiped, or
// the room has none), after_seq means nothing here: the result has epoch_matches = false and
// holds the latest last_n messages (none if last_n == 0); the client should reload.
struct ReadRequest {
    std::string room;
    std::uint64_t after_seq = 0;
    std::optional<std::string> epoch;
    std::uint32_t limit = 0;  // 0: StoreConfig::max_read_messages; larger values are clamped
    std::uint32_t last_n = 0;
    std::uint64_t token = 0;
};

struct StoredMessage {
    std::uint64_t seq = 0;
    std::int64_t ts_ms = 0;
    std::string session_id;
    std::string client_msg_id;
    std::string payload;
};

struct ReadResult {
    std::uint64_t token = 0;
    std::string room;
    std::string epoch;  // the room's epoch; a room read for the first time gets one then
    // Retained messages are exactly the seqs first_seq..last_seq (trimming removes a prefix).
    std::uint64_t first_seq = 0;  // oldest retained, 0 if none is retained
    std::uint64_t last_seq = 0;   // newest ever assigned; survives trimming
    bool epoch_matches = true;
    // True when nothing between after_seq and the first returned message (or last_seq) was
    // trimmed away, i.e. the client can continue without a hole. False on an epoch mismatch,
    // and when after_seq > last_seq (the store lost a tail the client had seen).
    bool complete = true;
    // True when more messages with seq > after_seq exist than were returned (limit / last_n).
    bool truncated = false;
    std::vector<StoredMessage> messages;  // ascending seq
    std::optional<Error> error;
};

struct StoreStats {
    std::uint64_t appends = 0;     // messages stored
    std::uint64_t duplicates = 0;  // appends answered with an earlier seq
    std::uint64_t failed_appends = 0;
    std::uint64_t batches = 0;      // group commits
    double average_batch_size = 0;  // append requests per group commit
    std::uint64_t reads = 0;
    std::uint64_t trimmed = 0;      // messages removed by retention
    std::uint64_t queue_depth = 0;  // submitted, not yet completed
    std::uint64_t cache_bytes = 0;     // SQLite page cache, as of the last request or release
    std::uint64_t cache_releases = 0;  // idle spells after which the cache was handed back
};

// Receives completions. Called on the store thread only, one call at a time, in exactly the
// order the requests were submitted (an on_appended batch is a run of consecutive appends).
// Must not throw and should not block: it delays every later request. It may call submit().
class HistorySink {
public:
    virtual ~HistorySink() = default;
    virtual void on_appended(std::vector<AppendResult>&& batch) = 0;
    virtual void on_read(ReadResult&& result) = 0;
    // A retention pass finished and removed `removed` messages (only called when > 0).
    virtual void on_trimmed(std::uint64_t removed) { (void)removed; }
};

class HistoryStore {
public:
    virtual ~HistoryStore() = default;
    // Queue a request; its completion reaches the sink later. Never blocks on disk.
    // Errors: Errc::Backpressure when queue_limit requests are outstanding, Errc::Unavailable
    // after stop() began. On error the request was not queued and no completion will follow.
    virtual Result<void> submit(AppendRequest request) = 0;
    virtual Result<void> submit(ReadRequest request) = 0;
    // Refuses new requests, completes every queued one (commits, reports), makes the history
    // durable, and joins the store thread. Idempotent; must not be called from the sink.
    virtual void stop() = 0;
    // A snapshot of counters; any thread.
    virtual StoreStats stats() const = 0;
};

}  // namespace confab::store
