// Frame encoding. Server frames are unmasked (RFC 6455 §5.1) and built once into a
// SharedFrame that any number of connections may write. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/shared_frame.hpp"
#include "ws/opcode.hpp"

namespace confab::ws {

inline constexpr std::size_t kMaxHeaderSize = 14;

// Writes an unmasked frame header for a payload of `payload_size` bytes into `out`
// (at least 10 bytes of room); returns the header length (2, 4 or 10).
std::size_t encode_header(std::uint8_t* out, Opcode op, std::uint64_t payload_size,
                          Fin fin = Fin::Yes, Compressed compressed = Compressed::No);

// One whole unmasked frame, header and payload in one allocation.
FrameRef make_frame(Opcode op, std::string_view payload, Compressed compressed = Compressed::No);

// A Close frame with `code` and a reason cut to fit the 125-byte control payload limit
// (cut at a UTF-8 boundary). code 1005 means "no status": an empty body.
FrameRef make_close_frame(std::uint16_t code, std::string_view reason);

// A masked client-to-server frame (for the client library and for tests).
std::string encode_client_frame(Opcode op, std::string_view payload, std::uint32_t mask,
                                Fin fin = Fin::Yes, Compressed compressed = Compressed::No);

}  // namespace confab::ws
