// One non-blocking WebSocket client connection for the bench: connect, opening handshake
// (RFC 6455 §4.1), frames in through ws::FrameReader, masked frames out through a write
// buffer. Owned and driven by one EpollWorker; never touched by another thread.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bench/target.hpp"
#include "ws/frame_reader.hpp"

namespace confab::bench {

class ClientConn;

// How a connection ended. `code` is the server's Close code, or 1006 when the TCP connection
// ended without one (EOF, reset, connect or handshake failure, our own protocol error).
struct CloseInfo {
    std::uint16_t code = 1006;
    bool was_open = false;  // the handshake had completed
    bool by_us = false;     // we closed it (end of run, or the server broke the protocol)
    std::string reason;     // human-readable: errno text, HTTP status line, Close reason
};

// What a connection reports to its owner, on the owner's thread. A connection calls
// on_closed exactly once (after on_open, if that happened) and nothing after it.
class ConnEvents {
public:
    virtual ~ConnEvents() = default;
    virtual void on_open(ClientConn& conn) = 0;
    // A whole binary or text message; `payload` is valid only during the call. `now_ns` is
    // the CLOCK_MONOTONIC time at which the bytes were read.
    virtual void on_message(ClientConn& conn, std::string_view payload, std::int64_t now_ns) = 0;
    virtual void on_closed(ClientConn& conn, const CloseInfo& info) = 0;
    // The connection has bytes to write: the owner calls flush() before it next waits.
    virtual void on_dirty(ClientConn& conn) = 0;
};

class ClientConn final : private ws::FrameHandler {
public:
    enum class State : std::uint8_t { Idle, Connecting, Handshaking, Open, Closed };

    // `id` is the connection's global index (0..clients-1); `slot` the owner's local index.
    ClientConn(std::uint32_t id, std::uint32_t slot, std::string path, ConnEvents& events);
    ~ClientConn() override;
    ClientConn(const ClientConn&) = delete;
    ClientConn& operator=(const ClientConn&) = delete;

    // Opens a non-blocking socket (bound to `source` when given), starts connecting and
    // registers it with `epoll_fd` (edge-triggered; epoll data = this; EPOLLOUT only while
    // connecting or after a short write, so ACKs alone never wake the loop). A failure is
    // reported through on_closed before this returns. A Closed connection may connect again
    // (not from inside one of its own callbacks: the frame reader is replaced).
    void connect(const Target& target, const in_addr* source, int epoll_fd);

    // Handles readiness reported by epoll. `scratch` is the owner's receive buffer.
    void on_io(std::uint32_t epoll_events, std::span<std::uint8_t> scratch);

    // Queues one masked binary frame (only when open); the owner flushes it.
    void send_binary(std::string_view payload);
    // The same with a text frame (confab.v1 commands are JSON text).
    void send_text(std::string_view payload);
    // Writes queued bytes until done or the socket is full (then waits for EPOLLOUT).
    void flush();
    // Sends Close `code` (best effort, not waiting for the reply) and closes the socket.
    void close(std::uint16_t code, std::string_view reason);

    std::uint32_t id() const { return id_; }
    std::uint32_t slot() const { return slot_; }
    State state() const { return state_; }
    bool open() const { return state_ == State::Open; }
    std::size_t queued_bytes() const { return out_.size() - out_sent_; }

private:
    // ws::FrameHandler
    void on_message(ws::Opcode op, std::string_view payload) override;
    void on_ping(std::string_view payload) override;
    void on_pong(std::string_view) override {}
    void on_close(std::uint16_t code, std::string_view reason) override;

    void on_connected();
    void read_available(std::span<std::uint8_t> scratch);
    void consume(std::span<std::uint8_t> bytes);
    void consume_handshake(std::span<std::uint8_t> bytes);
    bool check_handshake_response(std::string_view head, std::string& error) const;
    void queue_frame(ws::Opcode op, std::string_view payload);
    void watch_writable(bool on);
    void finish(CloseInfo info);
    std::uint32_t next_mask();

    std::uint32_t id_;
    std::uint32_t slot_;
    std::string path_;
    ConnEvents& events_;
    int fd_ = -1;
    int epoll_fd_ = -1;
    State state_ = State::Idle;
    bool dirty_ = false;          // on_dirty reported and flush() not yet called
    bool write_blocked_ = false;  // a send came up short: wait for EPOLLOUT
    std::int64_t read_ns_ = 0;    // when the bytes being consumed were read
    std::uint32_t mask_state_;    // xorshift32 state for masking keys
    std::string key_;             // Sec-WebSocket-Key we sent
    std::string handshake_;       // response head received so far (only while Handshaking)
    std::string out_;             // bytes queued for the socket; out_[out_sent_..] unsent
    std::size_t out_sent_ = 0;
    ws::FrameReader reader_;
};

// CLOCK_MONOTONIC in nanoseconds (the clock the payload timestamps use).
std::int64_t monotonic_ns();

}  // namespace confab::bench
