// Client → server commands of the confab.v1 subprotocol (docs/protocol.md, "confab.v1"):
// one JSON object per text frame, parsed and validated into a Command. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <variant>

#include "proto/proto_error.hpp"
#include "rooms/room_message.hpp"

namespace confab::proto {

inline constexpr std::string_view kSubprotocol = "confab.v1";

inline constexpr std::size_t kMaxNickBytes = 32;
inline constexpr std::size_t kMaxSessionBytes = 64;
inline constexpr std::size_t kMaxEpochBytes = 64;
inline constexpr std::size_t kMaxMessageIdBytes = 64;
inline constexpr std::size_t kMaxRefBytes = 64;
inline constexpr std::uint32_t kMaxHistory = 1000;
inline constexpr std::uint32_t kMaxTtlMs = 3'600'000;

// Limits the server configures; the defaults are the documented ones.
struct Limits {
    std::size_t max_data_bytes = 64 * 1024;  // pub.data, measured as compact JSON
    // Nesting of the whole frame, the command object included. Bounds the recursion of
    // everything that walks the value later (dump, compare), which is not iterative.
    std::size_t max_depth = 32;
};

// Every command may carry "ref" (≤ 64 bytes); replies to join, leave, members and ping echo
// it, and so does an error for any command.

// First command on a connection (the session enforces that).
struct Hello {
    std::string nick;                    // 1-32 of [A-Za-z0-9._-]
    std::optional<std::string> session;  // resume this identity: 1-64 of [A-Za-z0-9_-]
    std::optional<std::string> ref;
};

struct Join {
    std::string room;  // rooms::is_valid_room_name
    // Resume after this seq. since and epoch come together, or neither.
    std::optional<std::uint64_t> since;
    std::optional<std::string> epoch;  // from an earlier "joined": 1-64 printable ASCII
    std::uint32_t history = 0;         // 0-1000: last N messages when not resuming
    std::optional<std::string> ref;
};

struct Leave {
    std::string room;
    std::optional<std::string> ref;
};

struct Pub {
    std::string room;
    // The "data" value re-encoded as compact JSON: valid, at most Limits::max_data_bytes,
    // ready to be spliced into the one shared "msg" frame without parsing it again.
    std::string data;
    rooms::Qos qos = rooms::Qos::Guaranteed;  // "qos": 0 or 1, default 1
    std::optional<std::string> id;            // 1-64 printable ASCII; always set for qos 1
    std::optional<std::uint32_t> ttl_ms;      // 1..3600000; only ever set for qos 0
    std::optional<std::string> ref;
};

struct Members {
    std::string room;
    std::optional<std::string> ref;
};

// App-level keepalive (browsers cannot send WebSocket pings).
struct Ping {
    std::optional<std::string> ref;
};

using Command = std::variant<Hello, Join, Leave, Pub, Members, Ping>;
using ParseResult = tl::expected<Command, ProtoError>;

// Parses one text frame. Returns the command, or the error to send back: BadJson (with the
// byte offset), BadRequest (naming the field), UnknownType or TooLarge; the error carries the
// command's ref whenever it was readable. Unknown fields are ignored, and an optional field
// that is null counts as absent. Never throws (short of std::bad_alloc); any bytes are safe.
ParseResult parse_command(std::string_view text, const Limits& limits = {});

// For text that failed to parse as JSON: a BadJson error saying at which byte and why.
// Also used by the HTTP API for request bodies.
ProtoError json_syntax_error(std::string_view text);

// Deepest nesting of arrays and objects in `text`, scanning no further than `limit` + 1
// levels: a cheap guard before a recursive parse, tolerant of malformed input. Also used by
// the HTTP API for request bodies.
std::size_t json_nesting_depth(std::string_view text, std::size_t limit);

// The ref any command carries, to echo in replies and errors produced after parsing.
const std::optional<std::string>& ref_of(const Command& command);

// The command's wire "type" ("hello", "join", ...).
std::string_view type_of(const Command& command);

}  // namespace confab::proto
