#include "bench/ws_client_conn.hpp"

#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/ascii.hpp"
#include "ws/close_code.hpp"
#include "ws/frame_writer.hpp"
#include "ws/handshake.hpp"

namespace confab::bench {
namespace {

// Server frames may be large (e.g. --size 1MiB); the bench never limits what it measures.
constexpr std::size_t kMaxMessage = 64u << 20;
// A 101 response head is ~150 bytes; anything near this is not a WebSocket server.
constexpr std::size_t kMaxResponseHead = 16 * 1024;

std::string errno_text(std::string_view what, int err) {
    return std::string(what) + ": " + std::strerror(err);
}


}  // namespace

std::int64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

ClientConn::ClientConn(std::uint32_t id, std::uint32_t slot, std::string path, ConnEvents& events)
    : id_(id),
      slot_(slot),
      path_(std::move(path)),
      events_(events),
      mask_state_((static_cast<std::uint32_t>(monotonic_ns()) ^ (id * 2654435761u)) | 1u),
      reader_(ws::Role::Client, ws::ReaderLimits{.max_message_size = kMaxMessage}) {}

ClientConn::~ClientConn() {
    if (fd_ >= 0) ::close(fd_);
}

std::uint32_t ClientConn::next_mask() {
    std::uint32_t x = mask_state_;  // xorshift32: masking keys need not be secret here
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return mask_state_ = x;
}

void ClientConn::connect(const Target& target, const in_addr* source, int epoll_fd) {
    if (state_ != State::Idle && state_ != State::Closed) return;
    if (state_ == State::Closed) {  // a reconnect: nothing of the last connection carries over
        reader_ =
            ws::FrameReader(ws::Role::Client, ws::ReaderLimits{.max_message_size = kMaxMessage});
        write_blocked_ = false;
        out_sent_ = 0;
        std::string().swap(handshake_);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return finish({.reason = errno_text("socket", errno)});
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (source != nullptr) {
        // Defer the port choice to connect(): the 4-tuple, not the address, must be unique.
        setsockopt(fd_, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_addr = *source;
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            return finish({.reason = errno_text("bind to source address", errno)});
        }
    }
    epoll_fd_ = epoll_fd;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = this;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &ev) != 0) {
        return finish({.reason = errno_text("epoll_ctl", errno)});
    }
    unsigned char raw[16];
    for (int i = 0; i < 16; i += 4) {
        const std::uint32_t r = next_mask();
        std::memcpy(raw + i, &r, 4);
    }
    char b64[32];
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64), raw, sizeof raw);
    key_ = b64;
    out_ = "GET " + path_ + " HTTP/1.1\r\nHost: " + target.host_header +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
           "\r\nSec-WebSocket-Version: 13\r\n" +
           // The /ws endpoint speaks only confab.v1, which the client must ask for.
           std::string(path_ == "/ws" ? "Sec-WebSocket-Protocol: confab.v1\r\n" : "") + "\r\n";
    state_ = State::Connecting;
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&target.addr), sizeof target.addr) == 0) {
        return on_connected();
    }
    if (errno != EINPROGRESS) finish({.reason = errno_text("connect", errno)});
}

void ClientConn::on_connected() {
    state_ = State::Handshaking;
    watch_writable(false);
    flush();
}

void ClientConn::watch_writable(bool on) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (on ? EPOLLOUT : 0u);
    ev.data.ptr = this;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd_, &ev);
}

void ClientConn::on_io(std::uint32_t events, std::span<std::uint8_t> scratch) {
    if (state_ == State::Closed) return;  // closed earlier in this batch of events
    if (state_ == State::Connecting) {
        if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return finish({.reason = errno_text("connect", err)});
        on_connected();
        if (state_ == State::Closed) return;
    } else if ((events & EPOLLOUT) != 0 && write_blocked_) {
        write_blocked_ = false;
        watch_writable(false);
        flush();
        if (state_ == State::Closed) return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) read_available(scratch);
}

void ClientConn::read_available(std::span<std::uint8_t> scratch) {
    for (;;) {
        const ssize_t n = ::recv(fd_, scratch.data(), scratch.size(), 0);
        if (n > 0) {
            read_ns_ = monotonic_ns();
            consume(scratch.first(static_cast<std::size_t>(n)));
            if (state_ == State::Closed) return;
            // Edge-triggered: a short read drained the socket; new bytes raise a new edge.
            if (static_cast<std::size_t>(n) < scratch.size()) return;
            continue;
        }
        if (n == 0) {
            return finish({.reason = state_ == State::Open
                                         ? "server closed the connection without a Close frame"
                                         : "server closed the connection during the handshake"});
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN) return;
        return finish({.reason = errno_text("recv", errno)});
    }
}

void ClientConn::consume(std::span<std::uint8_t> bytes) {
    if (state_ == State::Handshaking) return consume_handshake(bytes);
    if (state_ != State::Open) return;
    auto fed = reader_.feed(bytes, *this);
    if (!fed && state_ == State::Open) {
        close(fed.error().close_code, "server broke the protocol: " + fed.error().reason);
    }
}

void ClientConn::consume_handshake(std::span<std::uint8_t> bytes) {
    const std::size_t before = handshake_.size();
    handshake_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::size_t end = handshake_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end == std::string::npos) {
        if (handshake_.size() > kMaxResponseHead) {
            finish({.by_us = true, .reason = "handshake failed: response head too large"});
        }
        return;
    }
    std::string error;
    if (!check_handshake_response(std::string_view(handshake_).substr(0, end + 2), error)) {
        return finish({.by_us = true, .reason = "handshake failed: " + error});
    }
    std::string rest = handshake_.substr(end + 4);  // frames that came with the 101
    std::string().swap(handshake_);
    state_ = State::Open;
    events_.on_open(*this);
    if (!rest.empty()) {
        consume({reinterpret_cast<std::uint8_t*>(rest.data()), rest.size()});
    }
}

bool ClientConn::check_handshake_response(std::string_view head, std::string& error) const {
    const std::size_t eol = head.find("\r\n");
    const std::string_view status = head.substr(0, eol);
    // "HTTP/1.1 101 Switching Protocols" (RFC 6455 §4.1: anything else is not a WebSocket)
    const bool switched = status.size() >= 12 && status.starts_with("HTTP/1.") &&
                          status.substr(8, 4) == " 101" &&
                          (status.size() == 12 || status[12] == ' ');
    if (!switched) {
        error = "server answered '" + std::string(status) + "' to GET " + path_;
        return false;
    }
    bool accepted = false;
    for (std::size_t pos = eol + 2; pos < head.size();) {
        const std::size_t next = head.find("\r\n", pos);
        const std::string_view line = head.substr(pos, next - pos);
        pos = next == std::string_view::npos ? head.size() : next + 2;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim_blanks(line.substr(colon + 1));
        if (iequals_ascii(name, "Sec-WebSocket-Accept")) {
            accepted = value == ws::accept_key(key_);
        } else if (iequals_ascii(name, "Sec-WebSocket-Extensions") && !value.empty()) {
            error = "server chose an extension we did not offer: " + std::string(value);
            return false;  // RFC 6455 §4.1: the client must fail the connection
        }
    }
    if (!accepted) error = "Sec-WebSocket-Accept missing or wrong (RFC 6455 §4.1)";
    return accepted;
}

void ClientConn::on_message(ws::Opcode, std::string_view payload) {
    events_.on_message(*this, payload, read_ns_);
}

void ClientConn::on_ping(std::string_view payload) {
    queue_frame(ws::Opcode::Pong, payload);
}

void ClientConn::on_close(std::uint16_t code, std::string_view reason) {
    // RFC 6455 §5.5.1: answer with a Close echoing the code; then the server closes TCP.
    std::string body;
    if (code != ws::close_code::kNoStatus) {
        body = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    }
    queue_frame(ws::Opcode::Close, body);
    flush();
    finish({.code = code, .reason = std::string(reason)});
}

void ClientConn::send_binary(std::string_view payload) {
    if (state_ == State::Open) queue_frame(ws::Opcode::Binary, payload);
}

void ClientConn::send_text(std::string_view payload) {
    if (state_ == State::Open) queue_frame(ws::Opcode::Text, payload);
}

void ClientConn::queue_frame(ws::Opcode op, std::string_view payload) {
    out_ += ws::encode_client_frame(op, payload, next_mask());
    if (!dirty_) {
        dirty_ = true;
        events_.on_dirty(*this);
    }
}

void ClientConn::flush() {
    dirty_ = false;
    if (state_ == State::Closed || state_ == State::Connecting || write_blocked_) return;
    while (out_sent_ < out_.size()) {
        const ssize_t n = ::send(fd_, out_.data() + out_sent_, out_.size() - out_sent_,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            out_sent_ += static_cast<std::size_t>(n);
        } else if (errno == EAGAIN) {
            write_blocked_ = true;  // EPOLLOUT resumes the flush
            watch_writable(true);
            return;
        } else if (errno != EINTR) {
            return finish({.reason = errno_text("send", errno)});
        }
    }
    out_.clear();
    out_sent_ = 0;
}

void ClientConn::close(std::uint16_t code, std::string_view reason) {
    if (state_ == State::Closed) return;
    if (state_ == State::Open) {
        std::string body = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
        body.append(reason.substr(0, 123));
        out_ += ws::encode_client_frame(ws::Opcode::Close, body, next_mask());
        write_blocked_ = false;
        flush();
    }
    finish({.code = code, .by_us = true, .reason = std::string(reason)});
}

void ClientConn::finish(CloseInfo info) {
    if (state_ == State::Closed) return;
    info.was_open = state_ == State::Open;
    state_ = State::Closed;
    if (fd_ >= 0) ::close(fd_);  // also leaves the epoll set
    fd_ = -1;
    std::string().swap(out_);
    std::string().swap(handshake_);
    out_sent_ = 0;
    events_.on_closed(*this, info);
}

}  // namespace confab::bench
