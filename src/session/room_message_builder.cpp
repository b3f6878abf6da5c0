#include "session/room_message_builder.hpp"

#include <memory>

#include "telnet/chat_format.hpp"
#include "ws/deflate.hpp"
#include "ws/frame_writer.hpp"

namespace confab::session {

rooms::RoomMessagePtr build_room_message(const SessionContext& ctx, std::string room,
                                         ws::Opcode op, std::string_view payload,
                                         std::uint64_t sender, std::string_view telnet_line) {
    auto m = std::make_shared<rooms::RoomMessage>();
    m->room = std::move(room);
    m->is_text = op == ws::Opcode::Text;
    m->sender = sender;
    m->ws_frame = ws::make_frame(op, payload);
    m->ws_header_size = static_cast<std::uint32_t>(m->ws_frame->size() - payload.size());
    const auto& config = ctx.config;
    if (config.permessage_deflate && payload.size() >= config.deflate_min_size) {
        // One deflater per loop; no context takeover, so the frame suits every receiver.
        thread_local ws::Deflater deflater(15, true);
        m->ws_deflated = ws::make_frame(op, deflater.deflate(payload), ws::Compressed::Yes);
    }
    if (!telnet_line.empty()) {
        m->telnet_line = SharedFrame::copy_of(telnet_line);
    } else if (ctx.telnet_online.load(std::memory_order_relaxed) > 0) {
        m->telnet_line = SharedFrame::copy_of(telnet::render_for_telnet(payload, m->is_text));
    }
    return m;
}

const FrameRef& frame_for(const rooms::RoomMessage& message,
                          const std::optional<ws::DeflateParams>& deflate) {
    if (deflate && message.ws_deflated && deflate->server_max_window_bits == 15) {
        return message.ws_deflated;
    }
    return message.ws_frame;
}

}  // namespace confab::session
