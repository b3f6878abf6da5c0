// Builds the shared, encode-once form of a room message on the publisher's loop: the plain
// WebSocket frame, a compressed frame when worth it, and the telnet line when needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rooms/room_message.hpp"
#include "session/session_context.hpp"
#include "ws/deflate.hpp"
#include "ws/opcode.hpp"

namespace confab::session {

// `telnet_line` overrides the rendered telnet form (for lines typed by telnet users).
rooms::RoomMessagePtr build_room_message(const SessionContext& ctx, std::string room,
                                         ws::Opcode op, std::string_view payload,
                                         std::uint64_t sender, std::string_view telnet_line = {});

// The frame a receiver should get: compressed if it negotiated deflate with a full window.
const FrameRef& frame_for(const rooms::RoomMessage& message,
                          const std::optional<ws::DeflateParams>& deflate);

}  // namespace confab::session
