// Incremental WebSocket frame/message reader (RFC 6455 §5, RFC 7692 §6): bytes in,
// whole messages and control frames out. Pure (no sockets); one instance per connection,
// used by that connection's loop only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "ws/deflate.hpp"
#include "ws/opcode.hpp"
#include "ws/utf8.hpp"

namespace confab::ws {

struct ReaderLimits {
    std::size_t max_message_size = 1 << 20;  // after inflation; larger → 1009
};

// Receives what the reader decodes. Views are valid only during the call.
class FrameHandler {
public:
    virtual ~FrameHandler() = default;
    // A whole data message: Text (already validated UTF-8) or Binary, inflated if compressed.
    virtual void on_message(Opcode op, std::string_view payload) = 0;
    virtual void on_ping(std::string_view payload) = 0;
    virtual void on_pong(std::string_view payload) = 0;
    // A valid Close frame; code is 1005 when the frame had no body. After this the reader
    // ignores any further input (RFC 6455 §5.5.1: nothing follows a Close).
    virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

// A protocol violation: the close code to send and a human-readable reason (for the log and
// the Close frame).
struct ReadError {
    std::uint16_t close_code;
    std::string reason;
};

class FrameReader {
public:
    explicit FrameReader(Role role, ReaderLimits limits = {});
    ~FrameReader();
    FrameReader(FrameReader&&) noexcept;
    FrameReader& operator=(FrameReader&&) noexcept;

    // Turns on RSV1 handling after permessage-deflate was negotiated. As a server, the
    // reader inflates with params.client_max_window_bits / client_no_context_takeover (as a
    // client, with the server_* values). zlib state is allocated on the first compressed
    // message, not here.
    void enable_deflate(const DeflateParams& params);

    // Consumes all of `data`, unmasking in place, calling `handler` for each complete message
    // and control frame in order. A partial frame is kept internally (only the bytes of the
    // message being assembled are buffered; a whole unfragmented frame inside `data` is
    // delivered without copying). Returns the first violation, after which the reader must not
    // be fed again:
    //   1002 reserved bits (RSV1 without deflate, RSV2/3), reserved opcodes, unmasked frame
    //        from a client (masked from a server), control frame fragmented or > 125 bytes,
    //        continuation without a message, new message inside a fragmented one,
    //        non-minimal length encoding, 64-bit length with the top bit set,
    //        close payload of 1 byte, invalid close code
    //   1007 invalid UTF-8 in a text message (detected as early as possible, per fragment)
    //        or in a close reason; corrupt compressed data
    //   1009 message larger than max_message_size (declared, assembled, or inflated); the
    //        compressed bytes of one message may exceed it by 1/16 + 4 KiB, no more
    // Feeding again after a violation returns the same close code. After on_close the rest
    // of `data` and later input are ignored. `handler` must not feed, move or destroy this
    // reader from inside a callback.
    tl::expected<void, ReadError> feed(std::span<std::uint8_t> data, FrameHandler& handler);

    // True when no partial frame or message is buffered.
    bool idle() const;
    // True once a Close frame was delivered.
    bool closed() const;

private:
    // What outlives a message: configuration, lifecycle and the inflater (whose window is
    // the context a peer may take over from message to message).
    struct Settings {
        std::size_t max_message_size = 0;
        Role role = Role::Server;
        bool deflate_enabled = false;
        bool inflate_no_context_takeover = false;
        std::uint8_t inflate_window_bits = 15;
        bool closed = false;            // a Close was delivered: input is ignored
        std::uint16_t failed_code = 0;  // non-zero once feed() returned a violation
        std::unique_ptr<Inflater> inflater;  // created on the first compressed message
    };
    // The frame and message being read: allocated when bytes arrive, freed once a feed ends
    // between messages, so an idle connection pays for none of it.
    struct State;

    Settings settings_;
    std::unique_ptr<State> s_;
};

}  // namespace confab::ws
