// libconfab's error vocabulary: every failure the client reports is a value (Error), never an
// exception. Any thread; values only.
//
// The public types live in the inline namespace confab::client_v1: the server's own core
// (src/core/result.hpp) also has a confab::Error, and the inline namespace keeps the two
// distinct at link time while applications still write confab::Error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace confab {
inline namespace client_v1 {

enum class ErrorCode : std::uint8_t {
    InvalidArgument,  // a bad room name, data that is not JSON, an out-of-range option
    InvalidUrl,       // not ws://host[:port][/path]
    OutboxFull,       // the bounded QoS 1 outbox (or the QoS 0 queue) is full: retry later
    Dropped,          // a QoS 0 message was not written within drop_after
    TooLarge,         // the message is larger than the server accepts
    Closed,           // the client was closed before the operation completed
    ConnectFailed,    // refused, unreachable, or the name did not resolve
    HandshakeFailed,  // the peer is not a confab.v1 WebSocket server (e.g. HTTP 404)
    Timeout,          // connect/handshake took too long, or the server stopped answering pings
    ConnectionLost,   // the connection ended (EOF, reset, or a Close frame from the server)
    ProtocolError,    // the server sent something that breaks RFC 6455 or confab.v1
    Rejected,         // the server refused the command (bad_request, invalid_room, ...)
    NotConnected,     // needs a live connection (e.g. members) and there is none now
};

// Stable lower-case name of a code ("outbox_full"), for logs and the command line.
std::string_view to_string(ErrorCode code);

struct Error {
    ErrorCode code;
    std::string message;  // for humans; for Rejected it starts with the server's error code
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace client_v1
}  // namespace confab
