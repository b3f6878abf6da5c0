// Result<T>: the data plane's error channel (no exceptions on loops or in codecs).
// Any thread; values only.
#pragma once

#include <cstdint>
#include <string>
#include <tl/expected.hpp>

namespace confab {

enum class Errc : std::uint8_t {
    ProtocolViolation,  // the peer broke a protocol rule
    InvalidPayload,     // e.g. bad UTF-8 in a text message
    TooLarge,           // a size limit was exceeded
    Backpressure,       // a bounded queue is full
    Unavailable,        // a dependency is down or shutting down
    NotFound,
    BadRequest,
};

struct Error {
    Errc code;
    std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
    return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace confab
