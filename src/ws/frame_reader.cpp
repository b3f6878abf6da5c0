#include "ws/frame_reader.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "ws/close_code.hpp"

namespace confab::ws {
namespace {

using Outcome = tl::expected<void, ReadError>;

// RFC 6455 §5.2: 2 fixed bytes, up to 8 of extended length, 4 of masking key.
constexpr std::size_t kMaxFrameHeader = 14;
// RFC 6455 §5.5: every control frame fits in 125 bytes.
constexpr std::uint64_t kMaxControlPayload = 125;

// Compressed bytes may exceed the inflated size for incompressible data (stored blocks cost
// 5 bytes per 64 KiB, flush markers a few bytes per fragment). Allow that much slack, but no
// more: a stream of empty deflate blocks would otherwise keep the reader busy forever.
std::uint64_t compressed_wire_limit(std::uint64_t max_message_size) {
    constexpr std::uint64_t kSlack = 4096;
    if (max_message_size > (std::numeric_limits<std::uint64_t>::max() - kSlack) / 2) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    return max_message_size + max_message_size / 16 + kSlack;
}

std::uint64_t read_be(const std::uint8_t* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
    return v;
}

// XORs `n` payload bytes with the masking key; `offset` is the position of p[0] within the
// frame payload (RFC 6455 §5.3: byte i uses key[i % 4]). Eight bytes per step.
void unmask(std::uint8_t* p, std::size_t n, const std::uint8_t key[4], std::uint64_t offset) {
    std::uint8_t rotated[8];
    for (int i = 0; i < 8; ++i) rotated[i] = key[(offset + i) & 3];
    std::uint64_t key64;
    std::memcpy(&key64, rotated, 8);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, p + i, 8);
        word ^= key64;
        std::memcpy(p + i, &word, 8);
    }
    for (; i < n; ++i) p[i] ^= rotated[i & 7];
}

// Header length implied by the second header byte: base 2, extended length, masking key.
std::size_t header_size(std::uint8_t second_byte) {
    const std::uint8_t len7 = second_byte & 0x7F;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((second_byte & 0x80) ? 4 : 0);
}

std::string_view as_view(const std::uint8_t* p, std::size_t n) {
    return {reinterpret_cast<const char*>(p), n};
}

}  // namespace

struct FrameReader::State {
    Outcome feed(std::span<std::uint8_t> data, FrameHandler& handler);
    bool idle() const { return !in_payload && hdr_have == 0 && !in_message; }
    Outcome check_first_bytes(std::uint8_t b0, std::uint8_t b1);
    Outcome start_frame(const std::uint8_t* header);
    Outcome on_payload(std::uint8_t* chunk, std::size_t n, bool frame_done, FrameHandler& h);
    Outcome on_data(std::uint8_t* chunk, std::size_t n, bool frame_done, FrameHandler& h);
    Outcome on_control(std::string_view payload, FrameHandler& h);
    Outcome finish_message(FrameHandler& h);
    tl::unexpected<ReadError> violation(std::uint16_t code, std::string reason);
    void release_buffers();

    // The reader's settings, for the duration of one feed() (the reader may move between feeds).
    Settings* cfg = nullptr;

    // Header assembly. Invariant: hdr_have > 0 only while a header is split across feeds.
    bool in_payload = false;
    std::uint8_t hdr_have = 0;
    std::uint8_t hdr[kMaxFrameHeader]{};

    // The frame whose payload is being read (valid while in_payload).
    Opcode frame_op = Opcode::Continuation;
    bool frame_fin = false;
    bool frame_masked = false;
    std::uint8_t mask[4]{};
    std::uint64_t payload_len = 0;
    std::uint64_t received = 0;

    // The data message being read, from its first frame's header to its last frame's end.
    bool in_message = false;
    bool msg_compressed = false;
    Opcode msg_op = Opcode::Text;
    std::uint64_t msg_wire_size = 0;  // payload bytes announced so far, for the 1009 check
    Utf8Validator utf8;
    // Bytes of a message that did not arrive as one whole frame (inflated if compressed).
    // Invariant: empty and unallocated between messages.
    std::string message;
    // A control frame split across feeds (≤ 125 bytes). Empty between frames.
    std::string control;
};

tl::unexpected<ReadError> FrameReader::State::violation(std::uint16_t code, std::string reason) {
    cfg->failed_code = code;
    release_buffers();
    return tl::unexpected<ReadError>(ReadError{code, std::move(reason)});
}

void FrameReader::State::release_buffers() {
    std::string().swap(message);
    std::string().swap(control);
}

Outcome FrameReader::State::feed(std::span<std::uint8_t> data, FrameHandler& handler) {
    if (cfg->failed_code != 0) {
        return violation(cfg->failed_code, "fed again after a protocol violation");
    }
    std::uint8_t* const p = data.data();
    const std::size_t n = data.size();
    std::size_t pos = 0;
    while (pos < n && !cfg->closed) {
        if (!in_payload) {
            const std::uint8_t* header = nullptr;
            if (hdr_have == 0 && n - pos >= 2 && n - pos >= header_size(p[pos + 1])) {
                header = p + pos;  // common case: parse in place
                pos += header_size(p[pos + 1]);
            } else {
                // The header is split across feeds: gather it, checking the first two bytes
                // as soon as they are here so a bad peer is refused without waiting.
                const bool had_first_two = hdr_have >= 2;
                std::size_t need = had_first_two ? header_size(hdr[1]) : 2;
                const std::size_t take = std::min(need - hdr_have, n - pos);
                std::memcpy(hdr + hdr_have, p + pos, take);
                hdr_have = static_cast<std::uint8_t>(hdr_have + take);
                pos += take;
                if (hdr_have < 2) continue;
                if (!had_first_two) {
                    if (auto ok = check_first_bytes(hdr[0], hdr[1]); !ok) return ok;
                    need = header_size(hdr[1]);
                }
                if (hdr_have < need) continue;
                header = hdr;
                hdr_have = 0;
            }
            if (auto ok = start_frame(header); !ok) return ok;
        }
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(payload_len - received, n - pos));
        std::uint8_t* chunk = p + pos;
        if (frame_masked) unmask(chunk, take, mask, received);
        received += take;
        pos += take;
        const bool done = received == payload_len;
        if (done) in_payload = false;
        // A zero-length frame still has to be acted on; a zero-length piece of one does not.
        if (take > 0 || done) {
            if (auto ok = on_payload(chunk, take, done, handler); !ok) return ok;
        }
    }
    return {};
}

Outcome FrameReader::State::check_first_bytes(std::uint8_t b0, std::uint8_t b1) {
    // RFC 6455 §5.2: RSV bits must be 0 unless an extension defines them; permessage-deflate
    // defines RSV1 only (RFC 7692 §6).
    if (b0 & 0x30) return violation(close_code::kProtocolError, "RSV2/RSV3 set");
    const auto op = static_cast<Opcode>(b0 & 0x0F);
    switch (op) {
        case Opcode::Continuation:
        case Opcode::Text:
        case Opcode::Binary:
        case Opcode::Close:
        case Opcode::Ping:
        case Opcode::Pong:
            break;
        default:
            return violation(close_code::kProtocolError, "reserved opcode");  // §5.2
    }
    const bool fin = b0 & 0x80;
    const bool control_frame = is_control(op);
    if (b0 & 0x40) {
        if (!cfg->deflate_enabled) return violation(close_code::kProtocolError, "RSV1 set");
        // RFC 7692 §6.1: RSV1 marks the first frame of a compressed data message only.
        if (control_frame) {
            return violation(close_code::kProtocolError, "RSV1 on a control frame");
        }
        if (op == Opcode::Continuation) {
            return violation(close_code::kProtocolError, "RSV1 on a continuation frame");
        }
    }
    // §5.1: clients mask every frame, servers none.
    const bool masked = b1 & 0x80;
    if (cfg->role == Role::Server && !masked) {
        return violation(close_code::kProtocolError, "unmasked frame from a client");
    }
    if (cfg->role == Role::Client && masked) {
        return violation(close_code::kProtocolError, "masked frame from a server");
    }
    if (control_frame) {
        // §5.5: control frames are never fragmented and carry at most 125 bytes.
        if (!fin) return violation(close_code::kProtocolError, "fragmented control frame");
        if ((b1 & 0x7F) > kMaxControlPayload) {
            return violation(close_code::kProtocolError, "control frame over 125 bytes");
        }
    } else if (op == Opcode::Continuation) {
        // §5.4: a continuation needs a message to continue.
        if (!in_message) return violation(close_code::kProtocolError, "unexpected continuation");
    } else if (in_message) {
        // §5.4: fragments of different messages are never interleaved.
        return violation(close_code::kProtocolError, "new message inside a fragmented one");
    }
    return {};
}

Outcome FrameReader::State::start_frame(const std::uint8_t* h) {
    if (auto ok = check_first_bytes(h[0], h[1]); !ok) return ok;
    std::uint64_t len = h[1] & 0x7F;
    std::size_t at = 2;
    // §5.2: "the minimal number of bytes MUST be used to encode the length", and the
    // most significant bit of a 64-bit length MUST be 0.
    if (len == 126) {
        len = read_be(h + 2, 2);
        at = 4;
        if (len < 126) return violation(close_code::kProtocolError, "non-minimal length");
    } else if (len == 127) {
        len = read_be(h + 2, 8);
        at = 10;
        if (len >> 63) return violation(close_code::kProtocolError, "length has top bit set");
        if (len <= 0xFFFF) return violation(close_code::kProtocolError, "non-minimal length");
    }
    frame_op = static_cast<Opcode>(h[0] & 0x0F);
    frame_fin = h[0] & 0x80;
    frame_masked = h[1] & 0x80;
    if (frame_masked) std::memcpy(mask, h + at, 4);

    if (!is_control(frame_op)) {
        if (frame_op != Opcode::Continuation) {
            in_message = true;
            msg_op = frame_op;
            msg_compressed = h[0] & 0x40;
            msg_wire_size = 0;
            utf8.reset();
        }
        // Refuse before buffering anything: the declared size is enough to know.
        const std::uint64_t limit =
            msg_compressed ? compressed_wire_limit(cfg->max_message_size) : cfg->max_message_size;
        if (len > limit - msg_wire_size) {
            return violation(close_code::kMessageTooBig, "message exceeds the size limit");
        }
        msg_wire_size += len;
    }
    payload_len = len;
    received = 0;
    in_payload = true;
    return {};
}

Outcome FrameReader::State::on_payload(std::uint8_t* chunk, std::size_t n, bool frame_done,
                                       FrameHandler& h) {
    if (!is_control(frame_op)) return on_data(chunk, n, frame_done, h);
    // A control frame that arrived whole is delivered in place; a split one is gathered.
    if (frame_done && control.empty() && n == payload_len) return on_control(as_view(chunk, n), h);
    control.append(reinterpret_cast<const char*>(chunk), n);
    if (!frame_done) return {};
    std::string payload;
    payload.swap(control);
    return on_control(payload, h);
}

Outcome FrameReader::State::on_data(std::uint8_t* chunk, std::size_t n, bool frame_done,
                                    FrameHandler& h) {
    const bool last = frame_done && frame_fin;
    if (msg_compressed) {
        if (!cfg->inflater) {
            cfg->inflater = std::make_unique<Inflater>(cfg->inflate_window_bits,
                                                       cfg->inflate_no_context_takeover);
        }
        const std::size_t before = message.size();
        auto inflated =
            cfg->inflater->inflate(as_view(chunk, n), last, message, cfg->max_message_size);
        if (!inflated) {
            if (inflated.error().code == Errc::TooLarge) {
                return violation(close_code::kMessageTooBig, "inflated message too large");
            }
            return violation(close_code::kInvalidPayload, inflated.error().message);
        }
        // RFC 6455 §8.1: text is validated after decompression, as it is produced.
        if (msg_op == Opcode::Text && !utf8.feed(std::string_view(message).substr(before))) {
            return violation(close_code::kInvalidPayload, "invalid UTF-8 in a text message");
        }
        return last ? finish_message(h) : Outcome{};
    }

    const std::string_view bytes = as_view(chunk, n);
    // §8.1: fail fast, at the first fragment that cannot be the start of valid UTF-8.
    if (msg_op == Opcode::Text && !utf8.feed(bytes)) {
        return violation(close_code::kInvalidPayload, "invalid UTF-8 in a text message");
    }
    if (last && message.empty() && n == payload_len) {
        // The whole message is this one frame, inside the caller's buffer: no copy.
        if (msg_op == Opcode::Text && !utf8.complete()) {
            return violation(close_code::kInvalidPayload, "text message ends mid-character");
        }
        in_message = false;
        h.on_message(msg_op, bytes);
        return {};
    }
    message.append(bytes);
    return last ? finish_message(h) : Outcome{};
}

Outcome FrameReader::State::finish_message(FrameHandler& h) {
    if (msg_op == Opcode::Text && !utf8.complete()) {
        return violation(close_code::kInvalidPayload, "text message ends mid-character");
    }
    in_message = false;
    // Moving the bytes out leaves `message` unallocated for the idle connection.
    std::string payload;
    payload.swap(message);
    h.on_message(msg_op, payload);
    return {};
}

Outcome FrameReader::State::on_control(std::string_view payload, FrameHandler& h) {
    if (frame_op == Opcode::Ping) {
        h.on_ping(payload);
        return {};
    }
    if (frame_op == Opcode::Pong) {
        h.on_pong(payload);
        return {};
    }
    // Close, RFC 6455 §5.5.1: empty, or a 2-byte code followed by a UTF-8 reason.
    std::uint16_t code = close_code::kNoStatus;
    std::string_view reason;
    if (payload.size() == 1) {
        return violation(close_code::kProtocolError, "close payload of 1 byte");
    }
    if (payload.size() >= 2) {
        code = static_cast<std::uint16_t>(
            read_be(reinterpret_cast<const std::uint8_t*>(payload.data()), 2));
        if (!close_code::is_valid_on_wire(code)) {
            return violation(close_code::kProtocolError, "invalid close code");  // §7.4
        }
        reason = payload.substr(2);
        if (!is_valid_utf8(reason)) {
            return violation(close_code::kInvalidPayload, "close reason is not UTF-8");
        }
    }
    cfg->closed = true;
    // Nothing after a Close is read, so a half-assembled message will never complete.
    std::string().swap(message);
    h.on_close(code, reason);
    return {};
}

FrameReader::FrameReader(Role role, ReaderLimits limits) {
    settings_.max_message_size = limits.max_message_size;
    settings_.role = role;
}
FrameReader::~FrameReader() = default;
FrameReader::FrameReader(FrameReader&&) noexcept = default;
FrameReader& FrameReader::operator=(FrameReader&&) noexcept = default;

void FrameReader::enable_deflate(const DeflateParams& params) {
    settings_.deflate_enabled = true;
    // We inflate what the peer compresses: the client's window as a server, and vice versa.
    const bool server = settings_.role == Role::Server;
    settings_.inflate_window_bits = static_cast<std::uint8_t>(
        server ? params.client_max_window_bits : params.server_max_window_bits);
    settings_.inflate_no_context_takeover =
        server ? params.client_no_context_takeover : params.server_no_context_takeover;
    settings_.inflater.reset();
}

tl::expected<void, ReadError> FrameReader::feed(std::span<std::uint8_t> data,
                                                FrameHandler& handler) {
    // Between messages nothing needs keeping, so an idle connection holds no parser state:
    // a feed that starts between messages parses on the stack, and only a feed that ends
    // inside a frame or message moves its state to the heap until the rest arrives.
    if (!s_) {
        State local;
        local.cfg = &settings_;
        auto outcome = local.feed(data, handler);
        if (outcome && !local.idle()) s_ = std::make_unique<State>(std::move(local));
        return outcome;
    }
    s_->cfg = &settings_;
    auto outcome = s_->feed(data, handler);
    if (!outcome || s_->idle()) s_.reset();
    return outcome;
}

bool FrameReader::idle() const { return !s_ || s_->idle(); }

bool FrameReader::closed() const { return settings_.closed; }

}  // namespace confab::ws
