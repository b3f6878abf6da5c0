#include "session/room_message_builder.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "proto/server_message.hpp"
#include "telnet/chat_format.hpp"
#include "ws/frame_writer.hpp"

namespace confab::session {

namespace {
bool worth_compressing(const BuildContext& ctx, std::string_view payload);

// One deflater per thread (loops and the store thread); no context takeover, so each
// compressed frame suits every receiver.
std::string compress(std::string_view payload) {
    thread_local ws::Deflater deflater(15, true);
    return deflater.deflate(payload);
}

// The frame and, when worth it, its compressed twin.
std::pair<FrameRef, FrameRef> text_frames(const BuildContext& ctx, std::string_view payload) {
    FrameRef plain = ws::make_frame(ws::Opcode::Text, payload);
    FrameRef deflated;
    if (worth_compressing(ctx, payload)) {
        deflated = ws::make_frame(ws::Opcode::Text, compress(payload), ws::Compressed::Yes);
    }
    return {std::move(plain), std::move(deflated)};
}

bool listening(const std::atomic<int>& online) {
    return online.load(std::memory_order_relaxed) > 0;
}

bool telnet_listening(const BuildContext& ctx) { return listening(ctx.audience.telnet_online); }

bool worth_compressing(const BuildContext& ctx, std::string_view payload) {
    return ctx.config.permessage_deflate && payload.size() >= ctx.config.deflate_min_size &&
           ctx.audience.deflate_online.load(std::memory_order_relaxed) > 0;
}
}  // namespace

rooms::RoomMessagePtr build_chat_message(const BuildContext& ctx, ChatMessageSpec spec) {
    auto m = std::make_shared<rooms::RoomMessage>();
    m->room = std::move(spec.room);
    m->sender = spec.sender;
    m->qos = spec.qos;
    m->seq = spec.seq;
    m->expires_at_ms = spec.expires_at_ms;
    if (listening(ctx.audience.plain_online)) {
        std::string plain = plain_payload(spec.line);
        auto [ws_plain, ws_deflated] = text_frames(ctx, plain);
        m->ws_frame = std::move(ws_plain);
        m->ws_deflated = std::move(ws_deflated);
        m->ws_header_size = static_cast<std::uint32_t>(m->ws_frame->size() - plain.size());
    }
    if (telnet_listening(ctx)) m->telnet_line = SharedFrame::copy_of(telnet_line(spec.line));
    // A v1 member resuming a room relies on every QoS 1 message reaching it live or from
    // history: that envelope is built even if the counter has not seen the member yet.
    if (spec.qos == rooms::Qos::Droppable && !listening(ctx.audience.v1_online)) return m;
    std::string envelope = proto::encode_msg(proto::Msg{
        .room = m->room,
        .qos = spec.qos,
        .seq = spec.seq,
        .id = spec.client_msg_id ? std::optional<std::string_view>(*spec.client_msg_id) : std::nullopt,
        .from_nick = spec.line.nick,
        .from_session = spec.line.session,
        .from_via = spec.line.via,
        .ts_ms = spec.ts_ms,
        .data = spec.line.data,
    });
    auto [v1_plain, v1_deflated] = text_frames(ctx, envelope);
    m->v1_frame = std::move(v1_plain);
    m->v1_deflated = std::move(v1_deflated);
    return m;
}

rooms::RoomMessagePtr build_binary_message(const BuildContext& ctx, std::string room,
                                           std::string_view payload, std::uint64_t sender) {
    auto m = std::make_shared<rooms::RoomMessage>();
    m->room = std::move(room);
    m->is_text = false;
    m->sender = sender;
    m->ws_frame = ws::make_frame(ws::Opcode::Binary, payload);
    m->ws_header_size = static_cast<std::uint32_t>(m->ws_frame->size() - payload.size());
    if (worth_compressing(ctx, payload)) {
        m->ws_deflated = ws::make_frame(ws::Opcode::Binary, compress(payload), ws::Compressed::Yes);
    }
    if (telnet_listening(ctx)) {
        m->telnet_line = SharedFrame::copy_of(telnet::render_for_telnet(payload, false));
    }
    return m;
}

bool presence_has_audience(const BuildContext& ctx) {
    return listening(ctx.audience.v1_online) || telnet_listening(ctx);
}

rooms::RoomMessagePtr build_presence_message(const BuildContext& ctx, std::string room,
                                             bool joined, const rooms::MemberInfo& member,
                                             std::uint64_t sender) {
    auto m = std::make_shared<rooms::RoomMessage>();
    m->room = std::move(room);
    m->sender = sender;
    m->qos = rooms::Qos::Droppable;
    auto event = joined ? proto::PresenceEvent::Join : proto::PresenceEvent::Leave;
    m->v1_frame = ws::make_frame(ws::Opcode::Text, proto::encode_presence(m->room, event, member));
    if (telnet_listening(ctx)) {
        // Nicks and room names are validated to a safe alphabet: no sanitizing needed.
        m->telnet_line = SharedFrame::copy_of(
            fmt::format("* {} {} #{}\r\n", member.nick, joined ? "joined" : "left", m->room));
    }
    return m;
}

const FrameRef& pick_frame(const FrameRef& plain, const FrameRef& deflated,
                           const std::optional<ws::DeflateParams>& deflate) {
    if (deflate && deflated && deflate->server_max_window_bits == 15) return deflated;
    return plain;
}

std::int64_t wall_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t steady_clock_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace confab::session
