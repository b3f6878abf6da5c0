// What libconfab hands to the application: received messages, join results, presence, and
// publish acknowledgements (confab.v1, docs/protocol.md). Plain values; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace confab {
inline namespace client_v1 {

enum class Qos : std::uint8_t {
    AtMostOnce = 0,   // QoS 0: fan-out only, may be dropped, never acked
    AtLeastOnce = 1,  // QoS 1: stored, sequenced, acked; the client delivers it exactly once
};

struct Sender {
    std::string nick;
    // The publisher's public member id: "m-" and 16 hex digits for confab.v1 clients (equal
    // to StateChange::member_session for your own messages), "telnet-<n>" for telnet users,
    // "api" for the HTTP API. Never anyone's session id.
    std::string session;
};

struct Message {
    std::string room;
    Qos qos = Qos::AtLeastOnce;
    std::uint64_t seq = 0;  // the room's sequence number (QoS 1 only; 0 for QoS 0)
    std::string id;         // the publisher's id, if it gave one
    Sender from;
    std::int64_t ts_ms = 0;  // when the server accepted it, ms since the Unix epoch
    std::string data;        // the published JSON value, as compact JSON text
};

// The server's answer to a join (and to every re-join after a reconnect).
struct Joined {
    std::string room;
    std::string epoch;           // the room's history epoch (seqs restart when it changes)
    std::uint64_t last_seq = 0;  // newest seq of the room when joined
    bool recovered = false;      // true: every message after the resume point follows
    std::string reason;          // when !recovered: no_since | empty | epoch_changed | ...
};

struct Member {
    std::string nick;
    std::string session;  // the public member id, as in Sender::session
    std::string via;      // "ws" or "telnet"
};

struct Presence {
    std::string room;
    bool joined = true;  // false: the member left
    Member member;
};

// A completed publish. QoS 1: the server stored it as `seq` (duplicate: it had been stored
// before, e.g. re-sent after a reconnect). QoS 0: written to the socket; seq is 0.
struct Ack {
    std::string room;
    std::string id;
    Qos qos = Qos::AtLeastOnce;
    std::uint64_t seq = 0;
    bool duplicate = false;
};

}  // namespace client_v1
}  // namespace confab
