// WsSession: one WebSocket peer after the upgrade: reads frames, answers pings, keeps the
// peer honest (ping/pong liveness, close handshake), and gives whole messages to the
// endpoint that derives from it (echo, plain room). Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/connection.hpp"
#include "rooms/member.hpp"
#include "session/session_config.hpp"
#include "shard/stats.hpp"
#include "ws/deflate.hpp"
#include "ws/frame_reader.hpp"

namespace confab::session {

class WsSession : public net::ConnectionHandler, protected ws::FrameHandler {
public:
    WsSession(net::Connection& conn, const SessionConfig& config, shard::Stats& stats,
              std::optional<ws::DeflateParams> deflate);
    ~WsSession() override;

    // ConnectionHandler
    void on_start() final;
    void on_data(std::span<std::uint8_t> bytes) final;
    void on_tick(net::Clock::time_point now) final;
    void on_shutdown() final;
    void on_closed() final;

    // Starts the closing handshake: queued data not yet started is dropped, Close goes out
    // ahead of anything else, and the TCP connection closes when the peer answers or after
    // close_timeout. Idempotent.
    void close(std::uint16_t code, std::string_view reason);
    // The same, at the end of this loop turn (safe during fan-out).
    void close_soon(std::uint16_t code, std::string reason);

protected:
    // The session is open (after the 101 went out); endpoints join rooms here.
    virtual void on_open() {}
    virtual void on_ws_message(ws::Opcode op, std::string_view payload) = 0;
    // The connection is gone; endpoints leave rooms here. Called once.
    virtual void on_ws_closed() {}

    // Sends one data message, compressed when negotiated and worth it.
    net::PushResult send_message(ws::Opcode op, std::string_view payload);
    // Sends a pre-encoded data frame (shared with other receivers).
    net::PushResult send_frame(FrameRef frame, net::Priority priority = net::Priority::Normal) {
        return conn_.send(std::move(frame), priority);
    }
    bool deflate_enabled() const { return deflate_.has_value(); }
    const std::optional<ws::DeflateParams>& deflate_params() const { return deflate_; }
    bool is_open() const { return state_ == State::Open; }
    net::Connection& connection() { return conn_; }
    std::uint64_t connection_id() const { return conn_.id(); }
    const SessionConfig& config() const { return config_; }
    shard::Stats& stats() { return stats_; }
    // Why the peer is going, for member.left: the first cause noted wins (a slow consumer
    // that is then closed by the shutdown left as a slow consumer). Closed when none was.
    void note_leave_reason(rooms::LeaveReason why) {
        if (!leave_reason_) leave_reason_ = why;
    }
    rooms::LeaveReason leave_reason() const { return leave_reason_.value_or(rooms::LeaveReason::Closed); }

    // ws::FrameHandler
    void on_message(ws::Opcode op, std::string_view payload) final;
    void on_ping(std::string_view payload) final;
    void on_pong(std::string_view payload) final;
    void on_close(std::uint16_t code, std::string_view reason) final;

private:
    enum class State : std::uint8_t { Open, Closing, Closed };

    net::Connection& conn_;
    const SessionConfig& config_;
    shard::Stats& stats_;
    std::optional<ws::DeflateParams> deflate_;
    std::unique_ptr<ws::Deflater> deflater_;  // created on first compressed send
    ws::FrameReader reader_;
    net::Clock::time_point last_rx_;
    net::Clock::time_point ping_sent_{};
    net::Clock::time_point close_sent_{};
    State state_ = State::Open;
    std::optional<rooms::LeaveReason> leave_reason_;
    bool ping_outstanding_ = false;
    bool opened_ = false;
};

}  // namespace confab::session
