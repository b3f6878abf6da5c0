#include "net/connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>

#include <cerrno>
#include <cstring>
#include <optional>

#include "core/log.hpp"
#include "net/event_loop.hpp"

namespace confab::net {
namespace {
constexpr std::size_t kMaxIovecs = 256;
// Reads per readiness event before yielding to other connections (fairness).
constexpr int kMaxReadsPerWake = 4;

// The peer's endpoint, or nullopt once the socket is gone.
std::optional<boost::asio::ip::tcp::endpoint> remote_endpoint(int fd) {
    if (fd < 0) return std::nullopt;
    boost::asio::ip::tcp::endpoint ep;
    socklen_t len = static_cast<socklen_t>(ep.capacity());
    if (::getpeername(fd, ep.data(), &len) != 0) return std::nullopt;
    ep.resize(len);
    return ep;
}
}  // namespace

Connection::Connection(EventLoop& loop, UniqueFd socket, OutboxLimits limits, std::uint64_t id,
                       ConnectionGauge* gauge)
    : loop_(loop), socket_(std::move(socket)), outbox_(limits), gauge_(gauge), id_(id) {
    const int one = 1;
    ::setsockopt(socket_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string Connection::peer() const {
    const auto ep = remote_endpoint(socket_.get());
    return ep ? ep->address().to_string() + ":" + std::to_string(ep->port()) : "?";
}

std::string Connection::peer_address() const {
    const auto ep = remote_endpoint(socket_.get());
    return ep ? ep->address().to_string() : "?";
}

Connection::~Connection() {
    if (gauge_ && !closed_) gauge_->open.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::start(std::unique_ptr<ConnectionHandler> handler) {
    handler_ = std::move(handler);
    loop_.attach(shared_from_this());
    if (!loop_.poller().add(socket_.get(), this)) {
        log::warn("conn {}: cannot watch the socket: {}", id_, std::strerror(errno));
        return finish_close();
    }
    handler_->on_start();
}

void Connection::on_poll(std::uint32_t events) {
    if (closed_) return;
    if (read_eof_ && (events & (EPOLLERR | EPOLLHUP))) {
        // Both directions are gone (reset, or closed after its FIN): nothing can be delivered.
        return finish_close();
    }
    if (events & EPOLLOUT) {
        waiting_writable_ = false;
        flush();  // may wait for writability again: then the watch stays as it is
        if (closed_) return;
        update_poll();
    }
    // Errors and hang-ups surface from recv() with the right errno (or EOF).
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable();
}

void Connection::update_poll() {
    const std::uint32_t events = (read_eof_ ? 0u : std::uint32_t{EPOLLIN}) |
                                 (waiting_writable_ ? std::uint32_t{EPOLLOUT} : 0u);
    if (events == polled_events_) return;  // a slow consumer's write cycles cost no epoll_ctl
    polled_events_ = static_cast<std::uint8_t>(events);
    loop_.poller().update(socket_.get(), this, events);
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

void Connection::on_readable() {
    auto buffer = loop_.read_buffer();
    for (int i = 0; i < kMaxReadsPerWake; ++i) {
        ssize_t n = ::recv(socket_.get(), buffer.data(), buffer.size(), 0);
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
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        log::debug("conn {} {}: read error: {}", id_, peer(), std::strerror(errno));
        return finish_close();
    }
    // Not drained after kMaxReadsPerWake: level-triggered, the poller reports it again.
}

void Connection::on_eof() {
    if (draining_ || outbox_.empty()) return finish_close();
    // The peer half-closed but may still read what we owe it (e.g. `nc -N`). Its socket
    // stays readable (EOF) from now on: stop watching input, or the loop would spin.
    read_eof_ = true;
    update_poll();
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
        ssize_t n = ::sendmsg(socket_.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
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
    update_poll();
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
    ::shutdown(socket_.get(), SHUT_WR);
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
    // The registry's reference: released by a later handler, so that neither our callers
    // nor a loop iterating a snapshot of connections is left pointing at freed memory.
    std::shared_ptr<Connection> self = loop_.detach(this);
    loop_.poller().remove(socket_.get(), this);
    if (handler_) handler_->on_closed();
    socket_.reset();  // after on_closed, which may still log the peer's address
    if (self) loop_.post([self = std::move(self)] {});
}

}  // namespace confab::net
