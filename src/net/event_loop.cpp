#include "net/event_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include "net/connection.hpp"

namespace confab::net {

EventLoop::EventLoop(unsigned index)
    : index_(index), read_buffer_(new std::uint8_t[kReadBufferSize]), tick_timer_(io_) {}

EventLoop::~EventLoop() = default;

void EventLoop::run() {
    auto work = boost::asio::make_work_guard(io_);
    io_.run();
}

void EventLoop::at_end_of_turn(std::function<void()> fn) {
    end_of_turn_.push_back(std::move(fn));
    if (!end_of_turn_posted_) {
        end_of_turn_posted_ = true;
        boost::asio::post(io_, [this] { run_end_of_turn(); });
    }
}

void EventLoop::schedule_flush(std::shared_ptr<Connection> conn) {
    dirty_.push_back(std::move(conn));
    if (!end_of_turn_posted_) {
        end_of_turn_posted_ = true;
        boost::asio::post(io_, [this] { run_end_of_turn(); });
    }
}

void EventLoop::run_end_of_turn() {
    // Deferred work first (it may queue more frames), then one write per dirty connection.
    // Swap the vectors out: callbacks may append to them.
    std::vector<std::function<void()>> work;
    std::vector<std::shared_ptr<Connection>> dirty;
    while (!end_of_turn_.empty() || !dirty_.empty()) {
        work.swap(end_of_turn_);
        for (auto& fn : work) fn();
        work.clear();
        dirty.swap(dirty_);
        for (auto& conn : dirty) conn->flush();
        dirty.clear();
    }
    end_of_turn_posted_ = false;
}

void EventLoop::attach(std::shared_ptr<Connection> conn) {
    conn->registry_index = connections_.size();
    connections_.push_back(std::move(conn));
}

std::shared_ptr<Connection> EventLoop::detach(Connection* conn) {
    std::size_t i = conn->registry_index;
    if (i >= connections_.size() || connections_[i].get() != conn) return nullptr;
    std::shared_ptr<Connection> owned = std::move(connections_[i]);
    if (i + 1 != connections_.size()) {
        connections_[i] = std::move(connections_.back());
        connections_[i]->registry_index = i;
    }
    connections_.pop_back();
    return owned;
}

void EventLoop::start_ticks(std::chrono::milliseconds period) {
    tick_period_ = period;
    if (ticking_) return;
    ticking_ = true;
    tick_timer_.expires_after(tick_period_);
    tick_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

void EventLoop::tick() {
    auto now = Clock::now();
    for_each_connection([now](Connection& c) { c.tick(now); });
    tick_timer_.expires_after(tick_period_);
    tick_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

}  // namespace confab::net
