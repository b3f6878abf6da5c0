// permessage-deflate (RFC 7692): offer negotiation, and per-message (de)compression.
// Pure zlib wrappers; one Inflater/Deflater per connection direction, one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct z_stream_s;

namespace confab::ws {

// Parameters in force after negotiation (RFC 7692 §7.1).
struct DeflateParams {
    // The server always answers server_no_context_takeover: every frame it compresses is
    // self-contained, so one compressed frame can be shared by all receivers.
    bool server_no_context_takeover = true;
    bool client_no_context_takeover = false;
    int server_max_window_bits = 15;  // window the server compresses with (8..15)
    int client_max_window_bits = 15;  // window the client compresses with (8..15)
};

struct DeflateNegotiation {
    DeflateParams params;
    std::string response_header;  // value for Sec-WebSocket-Extensions in the 101 reply
};

// Reads a client's Sec-WebSocket-Extensions header (possibly several offers, comma separated,
// parameters after ';', RFC 7230 token/quoted-string syntax) and accepts the first valid
// permessage-deflate offer. An offer with an unknown, duplicate or out-of-range parameter is
// declined (§7.1). Returns nullopt when no offer is acceptable: the connection proceeds
// without compression.
std::optional<DeflateNegotiation> negotiate_deflate(std::string_view extensions_header);

// Decompresses whole messages that arrive in one or more compressed fragments.
class Inflater {
public:
    // window_bits 8..15; 8 is inflated with a 9-bit window (a superset; see deflate.cpp).
    Inflater(int window_bits, bool no_context_takeover);
    ~Inflater();
    Inflater(const Inflater&) = delete;
    Inflater& operator=(const Inflater&) = delete;

    // Inflates the next compressed fragment of a message and appends to `out`. On the last
    // fragment (`final`), appends the 00 00 FF FF tail (§7.2.2) and resets the stream if there
    // is no context takeover. Fails with TooLarge as soon as `out` would exceed `max_size`
    // (a decompression bomb costs at most max_size bytes), ProtocolViolation on corrupt data.
    Result<void> inflate(std::string_view fragment, bool final, std::string& out,
                         std::size_t max_size);

private:
    std::unique_ptr<z_stream_s> z_;
    bool no_context_takeover_;
};

// Compresses whole messages (server side: always without context takeover by default).
class Deflater {
public:
    // window_bits 8..15; zlib cannot do 8 for raw deflate, so 8 compresses with 9, which never
    // references more than 250 bytes back and so still fits a peer's 256-byte window.
    Deflater(int window_bits, bool no_context_takeover);
    ~Deflater();
    Deflater(const Deflater&) = delete;
    Deflater& operator=(const Deflater&) = delete;

    // Returns the compressed payload for one message, without the trailing 00 00 FF FF (§7.2.1).
    std::string deflate(std::string_view message);

private:
    std::unique_ptr<z_stream_s> z_;
    bool no_context_takeover_;
};

}  // namespace confab::ws
