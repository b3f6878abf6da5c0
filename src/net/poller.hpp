// Poller: the loop's own epoll set for its connection sockets, nested in Asio's reactor as a
// single descriptor.
//
// Why not Asio's socket waits: its epoll reactor re-arms the descriptor (epoll_ctl MOD) on
// every async_wait, one extra system call per message read, and keeps a per-descriptor state
// plus an operation object per pending wait, about 300 bytes per idle connection. Here a
// socket is added once, level-triggered, and stays registered for reading until it closes;
// Asio re-arms only the epoll descriptor, once per batch of ready sockets. Level-triggered so
// that a connection which stops reading early (fairness) is simply reported again.
//
// Loop thread only.
#pragma once

#include <sys/epoll.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <cstdint>

namespace confab::net {

class PollTarget {
public:
    // `events`: the EPOLL* bits that are ready (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP).
    virtual void on_poll(std::uint32_t events) = 0;

protected:
    ~PollTarget() = default;
};

class Poller {
public:
    explicit Poller(boost::asio::io_context& io);
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    // Watches `fd` for reading until remove(); false (errno set) if the kernel refused.
    bool add(int fd, PollTarget* target);
    // Changes what `fd` is watched for: EPOLLIN, EPOLLOUT, both or neither (errors and
    // hang-ups are reported whatever is asked).
    void update(int fd, PollTarget* target, std::uint32_t events);
    // Stops watching; `target` gets no further calls, not even for events already fetched
    // in the batch being dispatched. Call before closing `fd`.
    void remove(int fd, PollTarget* target);

    std::size_t watched() const { return watched_; }

private:
    void wait();
    void dispatch();

    static constexpr std::size_t kBatch = 256;

    boost::asio::posix::stream_descriptor epoll_;
    std::array<epoll_event, kBatch> batch_{};
    std::size_t batch_size_ = 0;  // events of the batch being dispatched
    std::size_t watched_ = 0;
};

}  // namespace confab::net
