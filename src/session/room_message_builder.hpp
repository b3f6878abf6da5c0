// Builds the shared, encode-once form of a room message: for plain-room members the payload
// frame, for confab.v1 members the "msg" envelope frame, for telnet users a line — each
// compressed too when worth it. Runs once per published message (on the publisher's loop, or
// on the store thread for QoS 1), never per receiver.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rooms/member.hpp"
#include "rooms/room_message.hpp"
#include "session/audience.hpp"
#include "session/chat_line.hpp"
#include "session/session_config.hpp"
#include "ws/deflate.hpp"
#include "ws/opcode.hpp"

namespace confab::session {

// What the builder needs to know about its audience.
struct BuildContext {
    const SessionConfig& config;
    const Audience& audience;  // forms nobody online can use are not built
};

struct ChatMessageSpec {
    std::string room;
    ChatLine line;
    rooms::Qos qos = rooms::Qos::Droppable;
    std::uint64_t seq = 0;                    // Guaranteed only
    std::optional<std::string> client_msg_id;  // the publisher's id, echoed in "msg"
    std::int64_t ts_ms = 0;                   // wall clock, ms since the Unix epoch
    std::int64_t expires_at_ms = 0;           // steady clock; 0 = never
    std::uint64_t sender = 0;                 // publishing connection id
};

// A chat message in every form.
rooms::RoomMessagePtr build_chat_message(const BuildContext& ctx, ChatMessageSpec spec);

// A binary message from a plain-room member: plain members get it verbatim, telnet users a
// notice; confab.v1 members (JSON only) do not get it.
rooms::RoomMessagePtr build_binary_message(const BuildContext& ctx, std::string room,
                                           std::string_view payload, std::uint64_t sender);

// A presence event (QoS 0) for confab.v1 members and telnet users; plain rooms never see it.
// Not worth building (nor fanning out) while no such receiver is online.
bool presence_has_audience(const BuildContext& ctx);
rooms::RoomMessagePtr build_presence_message(const BuildContext& ctx, std::string room,
                                             bool joined, const rooms::MemberInfo& member,
                                             std::uint64_t sender);

// The frame a receiver should get from a pair (plain, compressed): compressed if it
// negotiated deflate with the full window and a compressed form exists.
const FrameRef& pick_frame(const FrameRef& plain, const FrameRef& deflated,
                           const std::optional<ws::DeflateParams>& deflate);

// Milliseconds since the Unix epoch / on the steady clock.
std::int64_t wall_clock_ms();
std::int64_t steady_clock_ms();

}  // namespace confab::session
