// RoomMessage: one published message, encoded once for every kind of receiver and shared,
// immutable, by all of them on all loops.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/shared_frame.hpp"

namespace confab::rooms {

struct RoomMessage {
    std::string room;
    bool is_text = true;
    std::uint64_t sender = 0;  // publishing connection's id; 0 for none
    FrameRef ws_frame;         // whole unmasked WebSocket frame
    std::uint32_t ws_header_size = 0;
    FrameRef ws_deflated;      // permessage-deflate frame (RSV1), when worth compressing
    FrameRef telnet_line;      // "[nick]: text\r\n", when telnet users may be listening

    std::string_view payload() const { return ws_frame->view().substr(ws_header_size); }
};

using RoomMessagePtr = std::shared_ptr<const RoomMessage>;

}  // namespace confab::rooms
