// The ws/ codecs as the client uses them (RFC 6455 as the client role), behind a header that
// does not include src/core/result.hpp: that header's confab::Error and the public
// confab::Error of include/confab/error.hpp cannot be named in one translation unit.
// Pure; one connection's strand.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace confab::ws {
class FrameReader;
}

namespace confab::client {

// base64(SHA-1(key + GUID)): the Sec-WebSocket-Accept a server must answer (RFC 6455 §4.2.2).
std::string expected_accept(std::string_view client_key);
// True if the comma-separated, case-insensitive token list `header` contains `token`.
bool has_token(std::string_view header, std::string_view token);

// Receives what the decoder finds; views are valid only during the call.
class FrameSink {
public:
    virtual ~FrameSink() = default;
    virtual void on_text(std::string_view payload) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    // A Close frame from the server (1005 when it had no body). Nothing follows it.
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

struct DecodeError {
    std::uint16_t close_code;
    std::string reason;
};

// Server-to-client frames: unmasked, validated (UTF-8, control frame rules), reassembled.
class FrameDecoder {
public:
    explicit FrameDecoder(std::size_t max_message_size);
    ~FrameDecoder();
    FrameDecoder(const FrameDecoder&) = delete;
    FrameDecoder& operator=(const FrameDecoder&) = delete;

    // Consumes `bytes` (unmasking happens in place). A violation ends decoding for good.
    // Binary messages and pongs are skipped (confab.v1 is text only; liveness is counted
    // from bytes, not pongs).
    std::optional<DecodeError> feed(std::span<std::uint8_t> bytes, FrameSink& sink);

private:
    std::unique_ptr<ws::FrameReader> reader_;
};

// Masked client frames (RFC 6455 §5.3).
std::string encode_text(std::string_view payload, std::uint32_t mask);
std::string encode_ping(std::uint32_t mask);
std::string encode_pong(std::string_view payload, std::uint32_t mask);
std::string encode_close(std::uint16_t code, std::uint32_t mask);

}  // namespace confab::client
