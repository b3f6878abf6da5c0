#include "bench/http_publish_conn.hpp"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace confab::bench {

HttpPublishConn::HttpPublishConn(const Target& target, std::string path, BodyOf body_of)
    : target_(target), path_(std::move(path)), body_of_(std::move(body_of)) {}

HttpPublishConn::~HttpPublishConn() {
    close_socket();
}

void HttpPublishConn::close_socket() {
    if (fd_ >= 0) ::close(fd_);  // also leaves the epoll set
    fd_ = -1;
}

std::string HttpPublishConn::connect(int epoll_fd) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return std::string("socket: ") + std::strerror(errno);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&target_.addr), sizeof target_.addr) !=
        0) {
        const std::string error = std::string("connect: ") + std::strerror(errno);
        close_socket();
        return error;
    }
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    epoll_fd_ = epoll_fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = this;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &ev) != 0) {
        const std::string error = std::string("epoll_ctl: ") + std::strerror(errno);
        close_socket();
        return error;
    }
    return {};
}

void HttpPublishConn::top_up(unsigned window, std::int64_t now) {
    if (fd_ < 0) return;
    const bool idle = out_.empty();
    while (sent_ns_.size() < window) {
        const std::string body = body_of_(next_request_++);
        out_ +=
            "POST " + path_ + " HTTP/1.1\r\nHost: " + target_.host_header +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\n\r\n" + body;
        sent_ns_.push_back(now);
    }
    if (idle && !out_.empty()) flush();
}

void HttpPublishConn::flush() {
    std::size_t sent = 0;
    while (sent < out_.size()) {
        const ssize_t n = ::send(fd_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break;  // EAGAIN: wait for EPOLLOUT; a real error shows up as EPOLLERR / read 0
        }
    }
    out_.erase(0, sent);
    watch_writable(!out_.empty());
}

void HttpPublishConn::watch_writable(bool on) {
    if (on == want_write_ || fd_ < 0) return;
    want_write_ = on;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
    ev.data.ptr = this;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &ev);
}

std::string HttpPublishConn::on_io(std::uint32_t events, const OnResponse& on_response) {
    if (fd_ < 0) return {};
    if ((events & EPOLLOUT) != 0) flush();
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0) return {};
    char buf[64 * 1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return {};
    if (n <= 0) {
        const std::string error = n == 0 ? "the server closed the connection"
                                         : std::string("recv: ") + std::strerror(errno);
        close_socket();
        return error;
    }
    parser_.feed({buf, static_cast<std::size_t>(n)});
    for (;;) {
        auto r = parser_.next();
        if (!r) {
            close_socket();
            return "bad response: " + r.error();
        }
        if (!*r) return {};
        if (sent_ns_.empty()) {
            close_socket();
            return "a response without a request";
        }
        const std::int64_t sent = sent_ns_.front();
        sent_ns_.pop_front();
        on_response(**r, sent);
        if ((*r)->close) {
            close_socket();
            return "the server closed the connection (Connection: close)";
        }
    }
}

}  // namespace confab::bench
