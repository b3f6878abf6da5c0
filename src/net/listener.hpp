// Listener: accepts on one loop and hands each socket to the next loop round-robin, where it
// stays for life. Over the connection limit, a short refusal is written and the socket closed.
// Sockets are accepted with accept4() as plain non-blocking descriptors, several per wake:
// they are watched by their loop's Poller, never registered with Asio's reactor.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <string>
#include <vector>

#include "net/connection.hpp"
#include "net/event_loop.hpp"
#include "net/unique_fd.hpp"

namespace confab::net {

class Listener {
public:
    // Runs on the receiving loop with the accepted socket.
    using OnAccept = std::function<void(EventLoop&, UniqueFd)>;

    // Binds and listens now (throws std::system_error on failure: a start-up error).
    Listener(EventLoop& accept_loop, std::vector<EventLoop*> loops,
             const boost::asio::ip::tcp::endpoint& endpoint, OnAccept on_accept,
             ConnectionGauge& gauge, std::string refusal);

    boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
    void start();
    // Accept-loop thread: stop accepting.
    void stop();

private:
    void accept_next();
    void accept_ready();
    void on_accepted(UniqueFd socket);

    EventLoop& accept_loop_;
    std::vector<EventLoop*> loops_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    OnAccept on_accept_;
    ConnectionGauge& gauge_;
    std::string refusal_;
    std::size_t next_loop_ = 0;
    bool stopped_ = false;
};

}  // namespace confab::net
