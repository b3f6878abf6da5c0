#include "session/ws_session.hpp"

#include "core/log.hpp"
#include "net/event_loop.hpp"
#include "ws/close_code.hpp"
#include "ws/frame_writer.hpp"

namespace confab::session {

namespace cc = ws::close_code;

WsSession::WsSession(net::Connection& conn, const SessionConfig& config, shard::Stats& stats,
                     std::optional<ws::DeflateParams> deflate)
    : conn_(conn),
      config_(config),
      stats_(stats),
      deflate_(deflate),
      reader_(ws::Role::Server, ws::ReaderLimits{config.max_message_size}),
      last_rx_(net::Clock::now()) {
    if (deflate_) reader_.enable_deflate(*deflate_);
}

WsSession::~WsSession() = default;

void WsSession::on_start() {
    opened_ = true;
    on_open();
}

void WsSession::on_data(std::span<std::uint8_t> bytes) {
    last_rx_ = net::Clock::now();
    ping_outstanding_ = false;  // any traffic proves the peer alive
    if (state_ == State::Closed) return;
    auto fed = reader_.feed(bytes, *this);
    if (!fed) {
        stats_.add(stats_.protocol_errors);
        log::info("ws {} {}: closing with {}: {}", conn_.id(), conn_.peer(), fed.error().close_code,
                  fed.error().reason);
        close(fed.error().close_code, fed.error().reason);
        // A peer that broke the protocol gets its Close but no further reading.
        state_ = State::Closed;
        conn_.close_after_flush(std::chrono::seconds(1));
    }
}

void WsSession::on_message(ws::Opcode op, std::string_view payload) {
    if (state_ == State::Open) on_ws_message(op, payload);
}

void WsSession::on_ping(std::string_view payload) {
    // RFC 6455 §5.5.3: answer with the same payload; nothing may follow our Close.
    if (state_ == State::Open) conn_.send_control(ws::make_frame(ws::Opcode::Pong, payload));
}

void WsSession::on_pong(std::string_view) { ping_outstanding_ = false; }

void WsSession::on_close(std::uint16_t code, std::string_view reason) {
    if (state_ == State::Open) {
        // RFC 6455 §5.5.1: echo the status code (and reason) back; the server closes TCP first.
        // Replies to what the peer sent before its Close still go out first (Autobahn 7.1.1).
        log::debug("ws {} {}: peer closed with {} {}", conn_.id(), conn_.peer(), code, reason);
        conn_.send_after_data(ws::make_close_frame(code, reason));
    }
    state_ = State::Closed;
    // Both Close frames are exchanged: nothing more may arrive (RFC 6455 §5.5.1), so the
    // server closes TCP as soon as its Close is written (§7.1.1: the server closes first).
    conn_.close_after_flush(std::chrono::seconds(0));
}

void WsSession::close(std::uint16_t code, std::string_view reason) {
    if (state_ != State::Open) return;
    state_ = State::Closing;
    close_sent_ = net::Clock::now();
    conn_.drop_unstarted_data();
    conn_.send_control(ws::make_close_frame(code, reason));
}

void WsSession::close_soon(std::uint16_t code, std::string reason) {
    if (state_ != State::Open) return;
    auto weak = conn_.weak_from_this();
    conn_.loop().at_end_of_turn([this, weak, code, reason = std::move(reason)] {
        auto alive = weak.lock();
        if (alive && alive->is_open()) close(code, reason);
    });
}

net::PushResult WsSession::send_message(ws::Opcode op, std::string_view payload) {
    if (deflate_ && payload.size() >= config_.deflate_min_size) {
        if (!deflater_) {
            deflater_ = std::make_unique<ws::Deflater>(deflate_->server_max_window_bits,
                                                       deflate_->server_no_context_takeover);
        }
        std::string compressed = deflater_->deflate(payload);
        return conn_.send(ws::make_frame(op, compressed, ws::Compressed::Yes));
    }
    return conn_.send(ws::make_frame(op, payload));
}

void WsSession::on_tick(net::Clock::time_point now) {
    if (state_ == State::Closing) {
        if (now - close_sent_ >= config_.close_timeout) {
            log::debug("ws {} {}: no Close reply in time", conn_.id(), conn_.peer());
            conn_.close_now();
        }
        return;
    }
    if (state_ != State::Open) return;
    if (ping_outstanding_) {
        if (now - ping_sent_ >= config_.pong_timeout) {
            stats_.add(stats_.ping_timeouts);
            note_leave_reason(rooms::LeaveReason::Timeout);
            log::info("ws {} {}: no pong within {} ms: closing", conn_.id(), conn_.peer(),
                      config_.pong_timeout.count());
            state_ = State::Closed;
            conn_.close_now();  // a dead peer cannot take part in a close handshake
        }
    } else if (now - last_rx_ >= config_.ping_interval) {
        ping_outstanding_ = true;
        ping_sent_ = now;
        conn_.send_control(ws::make_frame(ws::Opcode::Ping, {}));
    }
}

void WsSession::on_shutdown() {
    note_leave_reason(rooms::LeaveReason::Shutdown);
    close(cc::kGoingAway, "server shutting down");
}

void WsSession::on_closed() {
    state_ = State::Closed;
    if (opened_) on_ws_closed();
}

}  // namespace confab::session
