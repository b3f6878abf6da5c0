// EventLoop: one Asio io_context run by one thread. Connections live on exactly one loop;
// other threads talk to a loop only through post(). It also corks output: connections that
// got frames during a loop turn are flushed together once the ready handlers have run.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "net/connection_handler.hpp"
#include "net/poller.hpp"

namespace confab::net {

class Connection;

class EventLoop {
public:
    explicit EventLoop(unsigned index);
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    unsigned index() const { return index_; }
    boost::asio::io_context& io() { return io_; }

    // Runs handlers until stop(); call from the loop's own thread.
    void run();
    // Any thread.
    void stop() { io_.stop(); }
    // Any thread: runs `fn` on this loop.
    template <typename Fn>
    void post(Fn&& fn) {
        boost::asio::post(io_, std::forward<Fn>(fn));
    }
    // Loop thread: runs `fn` once after the handlers that are ready now (end of this turn),
    // before the loop polls again. Used to batch work such as cross-loop fan-out.
    void at_end_of_turn(std::function<void()> fn);

    // Loop thread: queue `conn` to be flushed at the end of this turn (idempotent per turn).
    void schedule_flush(std::shared_ptr<Connection> conn);

    // Loop thread: the scratch buffer every connection of this loop reads into.
    std::span<std::uint8_t> read_buffer() { return {read_buffer_.get(), kReadBufferSize}; }

    // Loop thread: the epoll set every connection of this loop is watched by.
    Poller& poller() { return poller_; }

    // Loop thread: connection registry, for ticks and shutdown. It owns each connection from
    // attach until detach, which hands the reference back (null if `conn` was not attached).
    void attach(std::shared_ptr<Connection> conn);
    std::shared_ptr<Connection> detach(Connection* conn);
    std::size_t connection_count() const { return connections_.size(); }
    template <typename Fn>
    void for_each_connection(Fn&& fn) {
        // A snapshot: fn may close (and detach) connections. Raw pointers are enough, a closed
        // connection is freed by a later handler, never during this loop.
        std::vector<Connection*> snapshot;
        snapshot.reserve(connections_.size());
        for (const auto& c : connections_) snapshot.push_back(c.get());
        for (Connection* c : snapshot) fn(*c);
    }

    // Loop thread: starts ticking every `period`, calling on_tick on each connection.
    void start_ticks(std::chrono::milliseconds period);

    static constexpr std::size_t kReadBufferSize = 64 * 1024;

private:
    void run_end_of_turn();
    void tick();

    unsigned index_;
    boost::asio::io_context io_{1};  // one thread runs it: no internal contention
    Poller poller_{io_};             // outlives the connections, which are destroyed first
    std::unique_ptr<std::uint8_t[]> read_buffer_;
    std::vector<std::shared_ptr<Connection>> dirty_;
    std::vector<std::function<void()>> end_of_turn_;
    bool end_of_turn_posted_ = false;
    std::vector<std::shared_ptr<Connection>> connections_;  // Connection keeps its index here
    boost::asio::steady_timer tick_timer_;
    std::chrono::milliseconds tick_period_{1000};
    bool ticking_ = false;
};

}  // namespace confab::net
