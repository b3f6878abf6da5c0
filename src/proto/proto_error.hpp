// ProtoError: why a confab.v1 command failed, as the client is told in an "error" message.
// Pure values; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace confab::proto {

// The "code" of an error message. Wire names in to_string(); docs/protocol.md lists them.
enum class ErrorCode : std::uint8_t {
    BadJson,      // the frame is not JSON (see ProtoError::offset)
    BadRequest,   // a field is missing or invalid (see ProtoError::field)
    UnknownType,  // "type" names no command this server knows
    TooLarge,     // pub.data over Limits::max_data_bytes, or nesting over Limits::max_depth
    NotJoined,    // pub/members/leave for a room the connection has not joined
    NoHello,      // any command before hello
    InvalidRoom,  // a well-formed room name the server refuses
    Forbidden,    // pub to a room only the server writes (resources/..., presence/...)
    RateLimited,  // too many commands; retry later
    Unavailable,  // a dependency (history store) is down; retry later
    Internal,     // a server bug
};

// "bad_json", "bad_request", ... Never empty.
std::string_view to_string(ErrorCode code);

struct ProtoError {
    ErrorCode code = ErrorCode::Internal;
    std::string message;                // for humans; names the field or the byte offset
    std::optional<std::string> ref;     // the command's "ref", echoed when it could be read
    std::string field;                  // BadRequest/TooLarge: the offending field, else empty
    std::optional<std::size_t> offset;  // BadJson: 0-based byte where parsing broke
};

}  // namespace confab::proto
