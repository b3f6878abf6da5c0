#include "bench/server_probe.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "bench/ws_client_conn.hpp"

namespace confab::bench {
namespace {

// One connect attempt, bounded by `timeout_ms`: true when the server accepted it.
bool try_connect(const Target& target, int timeout_ms) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool accepted =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&target.addr), sizeof target.addr) == 0;
    if (!accepted && errno == EINPROGRESS) {
        pollfd p{.fd = fd, .events = POLLOUT, .revents = 0};
        if (::poll(&p, 1, timeout_ms) == 1) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            accepted = err == 0;
        }
    }
    ::close(fd);
    return accepted;
}

}  // namespace

std::optional<std::int64_t> wait_until_accepting(const Target& target, std::int64_t deadline_ns,
                                                 std::chrono::milliseconds interval) {
    const std::int64_t step = std::chrono::nanoseconds(interval).count();
    for (;;) {
        const std::int64_t started = monotonic_ns();
        if (started >= deadline_ns) return std::nullopt;
        if (try_connect(target, static_cast<int>(std::max<std::int64_t>(1, interval.count())))) {
            return monotonic_ns();
        }
        const std::int64_t next = std::min(started + step, deadline_ns);
        std::this_thread::sleep_for(
            std::chrono::nanoseconds(std::max<std::int64_t>(0, next - monotonic_ns())));
    }
}

}  // namespace confab::bench
