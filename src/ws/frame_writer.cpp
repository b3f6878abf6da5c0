#include "ws/frame_writer.hpp"

#include <cstring>

#include "ws/close_code.hpp"
#include "ws/utf8.hpp"

namespace confab::ws {
namespace {

// RFC 6455 §5.5: control frame payloads are at most 125 bytes; a Close body spends 2 on
// the code.
constexpr std::size_t kMaxCloseReason = 125 - 2;

// Writes the length field of byte 1 onwards; `mask_bit` is 0x80 for client frames.
std::size_t encode_length(std::uint8_t* out, std::uint64_t size, std::uint8_t mask_bit) {
    // RFC 6455 §5.2: the minimal number of bytes must be used to encode the length.
    if (size < 126) {
        out[1] = static_cast<std::uint8_t>(mask_bit | size);
        return 2;
    }
    if (size <= 0xFFFF) {
        out[1] = mask_bit | 126;
        out[2] = static_cast<std::uint8_t>(size >> 8);
        out[3] = static_cast<std::uint8_t>(size);
        return 4;
    }
    out[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) {
        out[2 + i] = static_cast<std::uint8_t>(size >> (56 - 8 * i));
    }
    return 10;
}

std::uint8_t first_byte(Opcode op, Fin fin, Compressed compressed) {
    std::uint8_t b = static_cast<std::uint8_t>(op);
    if (fin == Fin::Yes) b |= 0x80;
    if (compressed == Compressed::Yes) b |= 0x40;  // RSV1, RFC 7692 §6
    return b;
}

// The longest prefix of `reason` that fits a Close body and ends on a character boundary.
// A reason that is not valid UTF-8 is dropped: the peer would fail us with 1007 for it.
std::string_view fit_close_reason(std::string_view reason) {
    if (reason.size() > kMaxCloseReason) {
        std::size_t cut = kMaxCloseReason;
        // Back up over continuation bytes (10xxxxxx) so no sequence is split.
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
        reason = reason.substr(0, cut);
    }
    return is_valid_utf8(reason) ? reason : std::string_view{};
}

}  // namespace

std::size_t encode_header(std::uint8_t* out, Opcode op, std::uint64_t payload_size, Fin fin,
                          Compressed compressed) {
    out[0] = first_byte(op, fin, compressed);
    return encode_length(out, payload_size, 0);
}

FrameRef make_frame(Opcode op, std::string_view payload, Compressed compressed) {
    std::uint8_t header[kMaxHeaderSize];
    const std::size_t header_size = encode_header(header, op, payload.size(), Fin::Yes, compressed);
    return SharedFrame::make(header_size + payload.size(), [&](std::uint8_t* out) {
        std::memcpy(out, header, header_size);
        if (!payload.empty()) std::memcpy(out + header_size, payload.data(), payload.size());
    });
}

FrameRef make_close_frame(std::uint16_t code, std::string_view reason) {
    // RFC 6455 §7.4.1: 1005 is what a receiver reports for an empty body; send exactly that.
    if (code == close_code::kNoStatus) return make_frame(Opcode::Close, {});
    reason = fit_close_reason(reason);
    char body[125];
    body[0] = static_cast<char>(code >> 8);
    body[1] = static_cast<char>(code & 0xFF);
    if (!reason.empty()) std::memcpy(body + 2, reason.data(), reason.size());
    return make_frame(Opcode::Close, std::string_view(body, 2 + reason.size()));
}

std::string encode_client_frame(Opcode op, std::string_view payload, std::uint32_t mask, Fin fin,
                                Compressed compressed) {
    std::uint8_t header[kMaxHeaderSize];
    header[0] = first_byte(op, fin, compressed);
    std::size_t size = encode_length(header, payload.size(), 0x80);
    // The masking key goes on the wire most significant byte first (RFC 6455 §5.3).
    const std::uint8_t key[4] = {
        static_cast<std::uint8_t>(mask >> 24), static_cast<std::uint8_t>(mask >> 16),
        static_cast<std::uint8_t>(mask >> 8), static_cast<std::uint8_t>(mask)};
    std::memcpy(header + size, key, 4);
    size += 4;

    std::string frame(size + payload.size(), '\0');
    std::memcpy(frame.data(), header, size);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        frame[size + i] = static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i & 3]);
    }
    return frame;
}

}  // namespace confab::ws
