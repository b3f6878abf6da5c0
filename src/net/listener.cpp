#include "net/listener.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "core/log.hpp"

namespace confab::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(EventLoop& accept_loop, std::vector<EventLoop*> loops,
                   const tcp::endpoint& endpoint, OnAccept on_accept, ConnectionGauge& gauge,
                   std::string refusal)
    : accept_loop_(accept_loop),
      loops_(std::move(loops)),
      acceptor_(accept_loop.io()),
      retry_timer_(accept_loop.io()),
      on_accept_(std::move(on_accept)),
      gauge_(gauge),
      refusal_(std::move(refusal)) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(4096);
    acceptor_.non_blocking(true);
}

void Listener::start() { accept_next(); }

void Listener::stop() {
    stopped_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    retry_timer_.cancel();
}

void Listener::accept_next() {
    if (stopped_) return;
    acceptor_.async_wait(tcp::acceptor::wait_read, [this](boost::system::error_code ec) {
        if (stopped_ || ec) return;
        accept_ready();
    });
}

void Listener::accept_ready() {
    // Several per wake (a reconnect storm arrives at once), but bounded: the accept loop also
    // serves its own connections.
    constexpr int kMaxAcceptsPerWake = 64;
    for (int i = 0; i < kMaxAcceptsPerWake; ++i) {
        const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            on_accepted(UniqueFd(fd));
            continue;
        }
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) break;
        if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;  // that one is gone
        // EMFILE and friends: back off instead of spinning on a full descriptor table.
        log::warn("accept failed: {}; retrying in 100 ms", std::generic_category().message(err));
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([this](boost::system::error_code e) {
            if (!e) accept_next();
        });
        return;
    }
    accept_next();
}

void Listener::on_accepted(UniqueFd socket) {
    EventLoop& target = *loops_[next_loop_];
    next_loop_ = (next_loop_ + 1) % loops_.size();
    std::int64_t open = gauge_.open.fetch_add(1, std::memory_order_relaxed) + 1;
    if (gauge_.limit > 0 && open > gauge_.limit) {
        gauge_.open.fetch_sub(1, std::memory_order_relaxed);
        log::warn("connection limit {} reached: refusing a connection", gauge_.limit);
        // Best effort, non-blocking: a fresh socket's send buffer has room for a line.
        ::send(socket.get(), refusal_.data(), refusal_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        ::shutdown(socket.get(), SHUT_RDWR);
    } else if (&target == &accept_loop_) {
        on_accept_(target, std::move(socket));
    } else {
        target.post([this, &target, s = std::move(socket)]() mutable {
            on_accept_(target, std::move(s));
        });
    }
}

}  // namespace confab::net
