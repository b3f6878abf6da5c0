// WebSocket vocabulary shared by the reader and the writer (RFC 6455 §5.2).
#pragma once

#include <cstdint>

namespace confab::ws {

enum class Opcode : std::uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

enum class Fin { No, Yes };
enum class Compressed { No, Yes };  // RSV1 under permessage-deflate (RFC 7692 §6)
enum class Role { Server, Client };  // who is reading: a server requires masked frames

inline constexpr bool is_control(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

}  // namespace confab::ws
