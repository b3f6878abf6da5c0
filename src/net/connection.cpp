#include "net/connection.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "core/log.hpp"
#include "net/event_loop.hpp"

namespace confab::net {
namespace {
constexpr std::size_t kMaxIovecs = 256;
// Reads per readiness event before yielding to other connections (fairness).
constexpr int kMaxReadsPerWake = 4;
}  // namespace

Connection::Connection(EventLoop& loop, Socket socket, OutboxLimits limits, std::uint64_t id,
                       ConnectionGauge* gauge)
    : loop_(loop), socket_(std::move(socket)), outbox_(limits), gauge_(gauge), id_(id) {
    boost::system::error_code ec;
    socket_.non_blocking(true, ec);
    socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
}

std::string Connection::peer() const {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (ec) return "?";
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

std::string Connection::peer_address() const {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    return ec ? "?" : ep.address().to_string();
}

Connection::~Connection() {
    if (gauge_ && !closed_) gauge_->open.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::start(std::unique_ptr<ConnectionHandler> handler) {
    handler_ = std::move(handler);
    loop_.attach(this);
    handler_->on_start();
    if (!closed_) wait_readable();
}

PushResult Connection::send(FrameRef frame, Priority priority) {
    if (closed_ || close_when_flushed_) return PushResult::Queued;  // quietly discarded
    PushResult r = outbox_.push(frame, priority);
    if (r == PushResult::Overflow && !waiting_writable_ && !write_failed_) {
        // Full within one turn (a burst of replies): write now and retry before calling it
        // a slow consumer. The limit is for peers that do not read, not for busy turns.
        flush();
        if (closed_ || close_when_flushed_) return PushResult::Queued;
        r = outbox_.push(std::move(frame), priority);
    }
    if (r == PushResult::Queued) mark_dirty();
    return r;
}

void Connection::send_after_data(FrameRef frame) {
    if (closed_ || close_when_flushed_) return;
    outbox_.push_after_data(std::move(frame));
    mark_dirty();
}

void Connection::send_control(FrameRef frame) {
    if (closed_ || close_when_flushed_) return;
    outbox_.push_control(std::move(frame));
    mark_dirty();
}

void Connection::mark_dirty() {
    if (flush_scheduled_ || waiting_writable_ || closed_ || write_failed_) return;
    flush_scheduled_ = true;
    loop_.schedule_flush(shared_from_this());
}

void Connection::replace_handler(std::unique_ptr<ConnectionHandler> next, std::string leftover) {
    upgrade_ = std::make_unique<PendingUpgrade>(PendingUpgrade{std::move(next), std::move(leftover)});
    if (!in_on_data_) apply_pending_handler();
}

void Connection::apply_pending_handler() {
    while (upgrade_ && !closed_) {
        std::unique_ptr<PendingUpgrade> up = std::move(upgrade_);
        // The old handler may still be on the stack of a caller; keep it until we return.
        std::unique_ptr<ConnectionHandler> old = std::move(handler_);
        handler_ = std::move(up->handler);
        handler_->on_start();
        if (!up->leftover.empty() && !closed_) {
            in_on_data_ = true;
            handler_->on_data({reinterpret_cast<std::uint8_t*>(up->leftover.data()), up->leftover.size()});
            in_on_data_ = false;
        }
    }
}

void Connection::wait_readable() {
    socket_.async_wait(Socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->closed_) return;
        self->on_readable();
    });
}

void Connection::on_readable() {
    auto buffer = loop_.read_buffer();
    for (int i = 0; i < kMaxReadsPerWake; ++i) {
        ssize_t n = ::recv(socket_.native_handle(), buffer.data(), buffer.size(), 0);
        if (n > 0) {
            if (draining_) continue;  // input after our FIN is discarded
            in_on_data_ = true;
            handler_->on_data(buffer.first(static_cast<std::size_t>(n)));
            in_on_data_ = false;
            apply_pending_handler();
            if (closed_) return;
            if (static_cast<std::size_t>(n) < buffer.size()) break;  // drained, most likely
            continue;
        }
        if (n == 0) return on_eof();
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        log::debug("conn {} {}: read error: {}", id_, peer(), std::strerror(errno));
        return finish_close();
    }
    wait_readable();
}

void Connection::on_eof() {
    if (draining_ || outbox_.empty()) return finish_close();
    // The peer half-closed but may still read what we owe it (e.g. `nc -N`).
    close_after_flush(std::chrono::seconds(0));
}

void Connection::flush() {
    flush_scheduled_ = false;
    if (closed_ || waiting_writable_ || write_failed_) return;
    while (!outbox_.empty()) {
        iovec iov[kMaxIovecs];
        std::size_t count = outbox_.gather(iov, kMaxIovecs);
        std::size_t total = 0;
        for (std::size_t i = 0; i < count; ++i) total += iov[i].iov_len;
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            outbox_.consume(static_cast<std::size_t>(n));
            // A short write means the socket buffer is full: wait instead of an EAGAIN round.
            if (static_cast<std::size_t>(n) < total) return wait_writable();
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable();
        log::debug("conn {} {}: write error: {}", id_, peer(), std::strerror(errno));
        return fail_soon();
    }
    if (close_when_flushed_ && !draining_) start_draining();
}

void Connection::wait_writable() {
    waiting_writable_ = true;
    socket_.async_wait(Socket::wait_write, [self = shared_from_this()](boost::system::error_code ec) {
        self->waiting_writable_ = false;
        if (ec || self->closed_) return;
        self->flush();
    });
}

void Connection::close_after_flush(Clock::duration linger) {
    if (closed_ || close_when_flushed_) return;
    close_when_flushed_ = true;
    linger_ = linger;
    if (!waiting_writable_ && !flush_scheduled_) {
        flush_scheduled_ = true;
        loop_.schedule_flush(shared_from_this());
    }
}

void Connection::start_draining() {
    draining_ = true;
    ::shutdown(socket_.native_handle(), SHUT_WR);
    if (linger_ <= Clock::duration::zero()) return finish_close();
    drain_deadline_ = Clock::now() + linger_;
}

void Connection::close_now() { finish_close(); }

void Connection::tick(Clock::time_point now) {
    if (closed_) return;
    if (draining_) {
        if (now >= drain_deadline_) finish_close();
        return;
    }
    outbox_.release_memory_if_empty();
    handler_->on_tick(now);
}

void Connection::fail_soon() {
    // flush() may run inside a fan-out (see send()): closing there would change the room
    // being iterated, so the close waits for the end of the turn.
    write_failed_ = true;
    loop_.at_end_of_turn([self = shared_from_this()] { self->finish_close(); });
}

void Connection::finish_close() {
    if (closed_) return;
    closed_ = true;
    if (gauge_) gauge_->open.fetch_sub(1, std::memory_order_relaxed);
    loop_.detach(this);
    // Keep ourselves alive through on_closed (it may drop the last outside reference).
    auto self = shared_from_this();
    if (handler_) handler_->on_closed();
    boost::system::error_code ec;
    socket_.close(ec);  // cancels pending waits; their handlers drop their references
}

}  // namespace confab::net
