// RoomMessage: one published message, encoded once for every kind of receiver and shared,
// immutable, by all of them on all loops.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/shared_frame.hpp"

namespace confab::rooms {

enum class Qos : std::uint8_t {
    Droppable = 0,   // fan-out only; may be dropped under backpressure or after its ttl
    Guaranteed = 1,  // stored before fan-out; carries the room's sequence number
};

struct RoomMessage {
    std::string room;
    bool is_text = true;
    std::uint64_t sender = 0;  // publishing connection's id; 0 for none
    Qos qos = Qos::Droppable;
    std::uint64_t seq = 0;           // Guaranteed only: the room's sequence number
    std::int64_t expires_at_ms = 0;  // Droppable with ttl: steady-clock ms; 0 = never

    // Plain-room form (/ws/rooms): the payload as a whole unmasked WebSocket frame.
    FrameRef ws_frame;
    std::uint32_t ws_header_size = 0;
    FrameRef ws_deflated;  // permessage-deflate frame (RSV1), when worth compressing
    // confab.v1 form: the "msg" envelope as a text frame, and compressed when worth it.
    FrameRef v1_frame;
    FrameRef v1_deflated;
    // Telnet form: "[nick]: text\r\n", when telnet users may be listening.
    FrameRef telnet_line;

    std::string_view payload() const { return ws_frame->view().substr(ws_header_size); }
};

using RoomMessagePtr = std::shared_ptr<const RoomMessage>;

}  // namespace confab::rooms
