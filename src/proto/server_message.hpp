// Server → client messages of the confab.v1 subprotocol, encoded by hand as compact JSON with
// a stable field order. A published message is encoded once and the same bytes go to every
// receiver, so "msg" takes its data as already-validated JSON text and splices it in.
// Pure; any thread. Inputs are only read during the call (string_views need not outlive it).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proto/proto_error.hpp"
#include "rooms/member.hpp"
#include "rooms/room_message.hpp"

namespace confab::proto {

inline constexpr std::string_view kServerName = "confab/0.1";

// Every encoder returns one JSON object with "type" first. Strings are escaped by
// append_json_string, so any bytes are safe (invalid UTF-8 becomes U+FFFD). Optional fields
// are left out when empty (std::nullopt). Never throws (short of std::bad_alloc).

struct Welcome {
    std::string_view session;  // the secret session id: only ever sent to its own client
    std::string_view nick;
    // How everyone else sees this client (its session is the public member id,
    // proto::public_member_id(session)): lets the client recognise its own messages.
    rooms::MemberInfo member;
    std::uint64_t ping_interval_ms = 0;
    std::uint64_t max_message_size = 0;
};
// {"type":"welcome","session","nick","member":{"nick","session","via"},"server":"confab/0.1",
//  "ping_interval_ms","max_message_size"}
std::string encode_welcome(const Welcome& welcome);

// Why a join did not recover (joined.recovered is false).
enum class ResumeReason : std::uint8_t {
    NoSince,         // "no_since": the join did not ask to resume
    EpochChanged,    // "epoch_changed": the room's history was reset since the client's epoch
    HistoryTrimmed,  // "history_trimmed": messages after `since` are no longer stored
    Empty,           // "empty": the room has no stored history at all
};
std::string_view to_string(ResumeReason reason);

struct Joined {
    std::string_view room;
    std::string_view epoch;
    std::uint64_t last_seq = 0;
    bool recovered = false;
    std::optional<ResumeReason> reason;  // set exactly when !recovered
    std::optional<std::string_view> ref;
};
// {"type":"joined","room","epoch","last_seq","recovered","reason"?,"ref"?}
std::string encode_joined(const Joined& joined);

// The parts of one published message. `data` must be valid JSON (Pub::data is); it is
// copied verbatim.
struct Msg {
    std::string_view room;
    rooms::Qos qos = rooms::Qos::Guaranteed;
    std::uint64_t seq = 0;               // written for QoS 1 only
    std::optional<std::string_view> id;  // the publisher's message id, when it gave one
    std::string_view from_nick;
    std::string_view from_session;
    std::string_view from_via = "ws";  // "ws" | "telnet": how the sender is connected
    std::int64_t ts_ms = 0;  // ms since the Unix epoch, when the server accepted it
    std::string_view data;
};
// {"type":"msg","room","seq"?,"qos","id"?,"from":{"nick","session","via"},"ts","data"}
std::string encode_msg(const Msg& msg);

struct Ack {
    std::string_view room;
    std::string_view id;
    std::uint64_t seq = 0;
    bool duplicate = false;  // a re-publish of an id already stored: this is the original ack
};
// {"type":"ack","room","id","seq","duplicate"}
std::string encode_ack(const Ack& ack);

// {"type":"left","room","ref"?}
std::string encode_left(std::string_view room, std::optional<std::string_view> ref = {});

enum class PresenceEvent : std::uint8_t { Join, Leave };

// {"type":"presence","room","event":"join"|"leave","member":{"nick","session","via"}}
std::string encode_presence(std::string_view room, PresenceEvent event,
                            const rooms::MemberInfo& member);

// {"type":"members","room","members":[{"nick","session","via"},...],"ref"?}
std::string encode_members(std::string_view room, std::span<const rooms::MemberInfo> members,
                           std::optional<std::string_view> ref = {});

// {"type":"pong","ref"?}
std::string encode_pong(std::optional<std::string_view> ref = {});

// {"type":"error","code","message","field"?,"offset"?,"ref"?}
std::string encode_error(const ProtoError& error);

}  // namespace confab::proto
