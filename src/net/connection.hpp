// Connection: one accepted TCP socket on one loop, with its outbox and its protocol handler.
// Loop thread only. The socket stays in the loop's Poller from start to close; when it is
// readable we recv() into the loop's shared buffer, so an idle connection holds no read
// buffer and no pending operation. Writes are corked: frames queued during a turn leave in
// one sendmsg() at the end of the turn; writability is watched only after a short write.
// Lifetime: the loop's registry owns it from start() until it closes; the loop's flush list
// and deferred work hold extra references; the last reference is dropped in a later handler
// than the close, so no caller up the stack is left with a dangling pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/shared_frame.hpp"
#include "net/connection_handler.hpp"
#include "net/outbox.hpp"
#include "net/poller.hpp"
#include "net/unique_fd.hpp"

namespace confab::net {

class EventLoop;

// Counts open connections across all loops against --max-connections.
struct ConnectionGauge {
    std::atomic<std::int64_t> open{0};
    std::int64_t limit = 0;  // 0: unlimited
};

class Connection final : public std::enable_shared_from_this<Connection>, private PollTarget {
public:
    // `socket`: a connected, non-blocking TCP socket (SOCK_NONBLOCK from accept4).
    Connection(EventLoop& loop, UniqueFd socket, OutboxLimits limits, std::uint64_t id,
               ConnectionGauge* gauge);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Installs the first handler, hands the connection to its loop's registry and starts
    // reading. If the socket cannot be watched, the connection is closed (the handler sees
    // on_closed).
    void start(std::unique_ptr<ConnectionHandler> handler);

    std::uint64_t id() const { return id_; }
    EventLoop& loop() { return loop_; }
    // "address:port" of the peer, for log lines (asks the kernel; not for hot paths).
    std::string peer() const;
    // The peer's address alone ("127.0.0.1", "::1"): who it is, whatever port it came from.
    // Also asks the kernel; "?" when the socket is gone.
    std::string peer_address() const;
    bool is_open() const { return !closed_ && !close_when_flushed_; }

    // Queues a data frame for this turn's flush; Overflow means the outbox limit was hit and
    // nothing was queued: the caller applies its policy (drop, or close as a slow consumer).
    PushResult send(FrameRef frame, Priority priority = Priority::Normal);
    // Queues a control frame; never refused, written ahead of queued data.
    void send_control(FrameRef frame);
    // Queues a frame behind all queued data; never refused (a Close answering the peer's).
    void send_after_data(FrameRef frame);
    void drop_unstarted_data() { outbox_.drop_unstarted_data(); }
    const Outbox& outbox() const { return outbox_; }

    // Swaps in the protocol handler for an upgraded connection once the current on_data call
    // returns, then feeds it `leftover` (bytes that followed the upgrade request).
    void replace_handler(std::unique_ptr<ConnectionHandler> next, std::string leftover);

    // Writes what is queued, sends FIN, discards input until the peer's EOF or `linger`
    // passes, then closes. Idempotent.
    void close_after_flush(Clock::duration linger = std::chrono::seconds(2));
    // Closes now; queued output is dropped. Idempotent.
    void close_now();

    // Server shutdown: lets the handler say goodbye (e.g. WebSocket Close 1001).
    void shutdown() {
        if (!closed_ && handler_) handler_->on_shutdown();
    }

    // Loop internals.
    void flush();
    void tick(Clock::time_point now);
    std::size_t registry_index = 0;

private:
    void on_poll(std::uint32_t events) override;
    void mark_dirty();
    void on_readable();
    void wait_writable();
    void update_poll();
    void on_eof();
    void start_draining();
    void apply_pending_handler();
    void finish_close();
    void fail_soon();

    EventLoop& loop_;
    UniqueFd socket_;
    Outbox outbox_;
    std::unique_ptr<ConnectionHandler> handler_;
    struct PendingUpgrade {
        std::unique_ptr<ConnectionHandler> handler;
        std::string leftover;
    };
    std::unique_ptr<PendingUpgrade> upgrade_;  // only while a handler swap is pending
    ConnectionGauge* gauge_;
    std::uint64_t id_;
    Clock::time_point drain_deadline_{};
    Clock::duration linger_{};
    bool flush_scheduled_ = false;
    bool waiting_writable_ = false;
    bool read_eof_ = false;  // the peer sent FIN: stop watching for input
    bool close_when_flushed_ = false;
    bool draining_ = false;  // FIN sent; input is discarded
    bool closed_ = false;
    bool write_failed_ = false;  // a write failed; the close waits for the end of the turn
    bool in_on_data_ = false;
    std::uint8_t polled_events_ = EPOLLIN;  // what the Poller watches (EPOLLIN | EPOLLOUT fit)
};

}  // namespace confab::net
