// A Connection on a real loop, its peer the other end of a Unix socketpair (no network).
#include "net/connection.hpp"

#include <sys/socket.h>

#include <gtest/gtest.h>

#include <string>

#include "net/event_loop.hpp"

namespace confab::net {
namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr int kChunks = 64;  // 4 MiB: far more than a socketpair buffers

// On the first input, queues kChunks chunks of output; counts what it sees.
class Flooder final : public ConnectionHandler {
public:
    explicit Flooder(Connection& conn) : conn_(conn) {}
    void on_data(std::span<std::uint8_t>) override {
        if (flooded_) return;
        flooded_ = true;
        const std::string chunk(kChunk, 'z');
        for (int i = 0; i < kChunks; ++i) {
            EXPECT_EQ(conn_.send(SharedFrame::copy_of(chunk)), PushResult::Queued);
        }
    }
    void on_tick(Clock::time_point) override {}
    void on_shutdown() override {}
    void on_closed() override { ++closed; }
    int closed = 0;

private:
    Connection& conn_;
    bool flooded_ = false;
};

struct Harness {
    EventLoop loop{0};
    UniqueFd peer;
    std::shared_ptr<Connection> conn;
    Flooder* handler = nullptr;

    Harness() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
            throw std::runtime_error("socketpair");
        }
        peer.reset(fds[1]);
        OutboxLimits limits{.max_messages = kChunks, .max_bytes = kChunk * kChunks};
        conn = std::make_shared<Connection>(loop, UniqueFd(fds[0]), limits, 1, nullptr);
        auto h = std::make_unique<Flooder>(*conn);
        handler = h.get();
        conn->start(std::move(h));
    }
    // Runs ready handlers one at a time until none is ready, or `limit` have run (a handler
    // that keeps re-arming itself never lets io_context::poll() return); how many ran.
    std::size_t run_ready(std::size_t limit = 1000) {
        std::size_t ran = 0;
        while (ran < limit) {
            loop.io().restart();
            if (loop.io().poll_one() == 0) break;
            ++ran;
        }
        return ran;
    }
};

TEST(Connection, HalfClosedPeerGetsEverythingOwedWhileTheLoopIdles) {
    Harness h;
    ASSERT_EQ(::send(h.peer.get(), "go", 2, 0), 2);
    ASSERT_EQ(::shutdown(h.peer.get(), SHUT_WR), 0);  // like `nc -N`: ask, then half-close
    h.run_ready();
    // The server holds unsent output and the peer's EOF stays readable: a level-triggered
    // watch on input would now report it on every turn.
    EXPECT_EQ(h.run_ready(), 0u) << "the loop keeps running handlers for a half-closed peer";
    EXPECT_EQ(h.handler->closed, 0) << "closed before its output was delivered";

    std::size_t received = 0;
    char buf[64 * 1024];
    bool eof = false;
    for (int round = 0; round < 10000 && !eof; ++round) {
        const ssize_t n = ::recv(h.peer.get(), buf, sizeof buf, 0);
        if (n > 0) received += static_cast<std::size_t>(n);
        else if (n == 0) eof = true;
        else h.run_ready();  // EAGAIN: let the server write more
    }
    EXPECT_TRUE(eof);
    EXPECT_EQ(received, kChunk * kChunks);
    EXPECT_EQ(h.handler->closed, 1);
    EXPECT_EQ(h.loop.connection_count(), 0u);
}

TEST(Connection, PeerThatVanishesWithOutputQueuedIsClosed) {
    Harness h;
    ASSERT_EQ(::send(h.peer.get(), "go", 2, 0), 2);
    h.run_ready();
    ASSERT_EQ(h.handler->closed, 0);
    h.peer.reset();  // gone without reading: the output can never be delivered
    h.run_ready();
    EXPECT_EQ(h.handler->closed, 1);
    EXPECT_EQ(h.loop.connection_count(), 0u);
    EXPECT_EQ(h.loop.poller().watched(), 0u);
}

}  // namespace
}  // namespace confab::net
