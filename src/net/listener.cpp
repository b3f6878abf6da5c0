#include "net/listener.hpp"

#include <sys/socket.h>

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
    EventLoop& target = *loops_[next_loop_];
    // The peer socket is created on its future loop's io_context; the accept itself runs here.
    pending_.emplace(target.io());
    acceptor_.async_accept(*pending_, [this, &target](boost::system::error_code ec) {
        if (stopped_) return;
        if (ec) {
            // EMFILE and friends: back off instead of spinning on a full descriptor table.
            log::warn("accept failed: {}; retrying in 100 ms", ec.message());
            retry_timer_.expires_after(std::chrono::milliseconds(100));
            retry_timer_.async_wait([this](boost::system::error_code e) {
                if (!e) accept_next();
            });
            return;
        }
        on_accepted(target);
        accept_next();
    });
}

void Listener::on_accepted(EventLoop& target) {
    Connection::Socket socket = std::move(*pending_);
    pending_.reset();
    next_loop_ = (next_loop_ + 1) % loops_.size();
    std::int64_t open = gauge_.open.fetch_add(1, std::memory_order_relaxed) + 1;
    if (gauge_.limit > 0 && open > gauge_.limit) {
        gauge_.open.fetch_sub(1, std::memory_order_relaxed);
        log::warn("connection limit {} reached: refusing a connection", gauge_.limit);
        // Best effort, non-blocking: a fresh socket's send buffer has room for a line.
        ::send(socket.native_handle(), refusal_.data(), refusal_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    } else if (&target == &accept_loop_) {
        on_accept_(target, std::move(socket));
    } else {
        target.post([this, &target, s = std::move(socket)]() mutable {
            on_accept_(target, std::move(s));
        });
    }
}

}  // namespace confab::net
