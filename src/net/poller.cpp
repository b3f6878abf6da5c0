#include "net/poller.hpp"

#include <cerrno>
#include <system_error>

#include "core/log.hpp"

namespace confab::net {
namespace {

int create_epoll() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    return fd;
}

}  // namespace

Poller::Poller(boost::asio::io_context& io) : epoll_(io, create_epoll()) { wait(); }

bool Poller::add(int fd, PollTarget* target) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = target;
    if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) != 0) return false;
    ++watched_;
    return true;
}

void Poller::update(int fd, PollTarget* target, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = target;
    if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_MOD, fd, &ev) != 0) {
        // Only a descriptor that is not ours can fail here: a bug, not a peer's doing.
        log::error("epoll_ctl MOD fd {}: {}", fd, std::generic_category().message(errno));
    }
}

void Poller::remove(int fd, PollTarget* target) {
    if (::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_DEL, fd, nullptr) == 0) --watched_;
    // Events already fetched for it must not reach it: it may be gone by then.
    for (std::size_t i = 0; i < batch_size_; ++i) {
        if (batch_[i].data.ptr == target) batch_[i].data.ptr = nullptr;
    }
}

void Poller::wait() {
    epoll_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [this](boost::system::error_code ec) {
                          if (ec) return;  // closed: the loop is going away
                          dispatch();
                          wait();
                      });
}

void Poller::dispatch() {
    const int n = ::epoll_wait(epoll_.native_handle(), batch_.data(), static_cast<int>(kBatch), 0);
    if (n <= 0) return;  // EINTR or a spurious wake: the re-arm reports what is still ready
    batch_size_ = static_cast<std::size_t>(n);
    for (std::size_t i = 0; i < batch_size_; ++i) {
        if (auto* target = static_cast<PollTarget*>(batch_[i].data.ptr)) target->on_poll(batch_[i].events);
    }
    batch_size_ = 0;
}

}  // namespace confab::net
