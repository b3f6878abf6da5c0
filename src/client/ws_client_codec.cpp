// Only ws/ headers here, never include/confab/ ones (see the header).
#include "client/ws_client_codec.hpp"

#include "ws/frame_reader.hpp"
#include "ws/frame_writer.hpp"
#include "ws/handshake.hpp"

namespace confab::client {
namespace {

class Forward final : public ws::FrameHandler {
public:
    explicit Forward(FrameSink& sink) : sink_(sink) {}
    void on_message(ws::Opcode op, std::string_view payload) override {
        if (op == ws::Opcode::Text) sink_.on_text(payload);
    }
    void on_ping(std::string_view payload) override { sink_.on_ping(payload); }
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t code, std::string_view reason) override {
        sink_.on_close(code, reason);
    }

private:
    FrameSink& sink_;
};

}  // namespace

std::string expected_accept(std::string_view client_key) {
    return ws::accept_key(client_key);
}

bool has_token(std::string_view header, std::string_view token) {
    return ws::header_has_token(header, token);
}

FrameDecoder::FrameDecoder(std::size_t max_message_size)
    : reader_(std::make_unique<ws::FrameReader>(
          ws::Role::Client, ws::ReaderLimits{.max_message_size = max_message_size})) {}

FrameDecoder::~FrameDecoder() = default;

std::optional<DecodeError> FrameDecoder::feed(std::span<std::uint8_t> bytes, FrameSink& sink) {
    Forward forward(sink);
    auto fed = reader_->feed(bytes, forward);
    if (fed) return std::nullopt;
    return DecodeError{fed.error().close_code, std::move(fed.error().reason)};
}

std::string encode_text(std::string_view payload, std::uint32_t mask) {
    return ws::encode_client_frame(ws::Opcode::Text, payload, mask);
}

std::string encode_ping(std::uint32_t mask) {
    return ws::encode_client_frame(ws::Opcode::Ping, {}, mask);
}

std::string encode_pong(std::string_view payload, std::uint32_t mask) {
    return ws::encode_client_frame(ws::Opcode::Pong, payload, mask);
}

std::string encode_close(std::uint16_t code, std::uint32_t mask) {
    const char body[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    return ws::encode_client_frame(ws::Opcode::Close, std::string_view(body, 2), mask);
}

}  // namespace confab::client
