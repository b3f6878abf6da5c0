// The Poller over pipes: level-triggered reports, update(), and remove() during a batch.
#include "net/poller.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "net/unique_fd.hpp"

namespace confab::net {
namespace {

struct Pipe {
    UniqueFd read_end, write_end;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
    void put(char c = 'x') const { ASSERT_EQ(::write(write_end.get(), &c, 1), 1); }
};

struct Recorder final : PollTarget {
    std::vector<std::uint32_t> events;
    std::function<void()> on_first;
    void on_poll(std::uint32_t e) override {
        events.push_back(e);
        if (on_first) std::exchange(on_first, nullptr)();
    }
};

// Runs what is ready now, one handler at a time and without blocking (the pipes were
// written before), up to a bound: a level-triggered report that is never consumed would keep
// io_context::poll() busy forever.
void run_ready(boost::asio::io_context& io) {
    for (int i = 0; i < 16; ++i) {
        io.restart();
        if (io.poll_one() == 0) return;
    }
}

TEST(Poller, ReportsReadableInputToItsTarget) {
    boost::asio::io_context io;
    Poller poller(io);
    Pipe p;
    Recorder r;
    ASSERT_TRUE(poller.add(p.read_end.get(), &r));
    run_ready(io);
    EXPECT_TRUE(r.events.empty()) << "nothing written yet";
    p.put();
    run_ready(io);
    ASSERT_FALSE(r.events.empty());
    EXPECT_TRUE(r.events.front() & EPOLLIN);
    EXPECT_EQ(poller.watched(), 1u);
}

TEST(Poller, ReportsAgainWhileInputIsLeftUnread) {
    // Level-triggered: a connection that stops reading early (fairness) is not forgotten.
    boost::asio::io_context io;
    Poller poller(io);
    Pipe p;
    Recorder r;
    ASSERT_TRUE(poller.add(p.read_end.get(), &r));
    p.put();
    run_ready(io);
    const std::size_t first = r.events.size();
    ASSERT_GE(first, 1u);
    run_ready(io);
    EXPECT_GT(r.events.size(), first);
    char c;
    ASSERT_EQ(::read(p.read_end.get(), &c, 1), 1);
    run_ready(io);
    const std::size_t drained = r.events.size();
    run_ready(io);
    EXPECT_EQ(r.events.size(), drained) << "reported after the input was read";
}

TEST(Poller, UpdateStopsInputReportsAndWatchesOutput) {
    boost::asio::io_context io;
    Poller poller(io);
    Pipe p;
    Recorder reader, writer;
    ASSERT_TRUE(poller.add(p.read_end.get(), &reader));
    ASSERT_TRUE(poller.add(p.write_end.get(), &writer));
    poller.update(p.read_end.get(), &reader, 0);
    p.put();
    run_ready(io);
    EXPECT_TRUE(reader.events.empty()) << "input reported though not watched";
    EXPECT_TRUE(writer.events.empty()) << "output reported though not watched";
    poller.update(p.write_end.get(), &writer, EPOLLOUT);
    run_ready(io);
    ASSERT_FALSE(writer.events.empty());
    EXPECT_TRUE(writer.events.front() & EPOLLOUT);
}

TEST(Poller, ReportsHangUpEvenWhenNothingIsWatched) {
    boost::asio::io_context io;
    Poller poller(io);
    Pipe p;
    Recorder r;
    ASSERT_TRUE(poller.add(p.read_end.get(), &r));
    poller.update(p.read_end.get(), &r, 0);
    p.write_end.reset();
    run_ready(io);
    ASSERT_FALSE(r.events.empty());
    EXPECT_TRUE(r.events.front() & EPOLLHUP);
}

TEST(Poller, RemovedTargetGetsNoEventAlreadyFetchedInTheSameBatch) {
    // Whichever of the two is dispatched first removes (and frees) the other: the other's
    // event, fetched in the same epoll_wait, must not reach it.
    boost::asio::io_context io;
    Poller poller(io);
    Pipe a, b;
    auto ra = std::make_unique<Recorder>();
    auto rb = std::make_unique<Recorder>();
    ASSERT_TRUE(poller.add(a.read_end.get(), ra.get()));
    ASSERT_TRUE(poller.add(b.read_end.get(), rb.get()));
    int removed = 0;
    ra->on_first = [&] { poller.remove(b.read_end.get(), rb.get()); rb.reset(); ++removed; };
    rb->on_first = [&] { poller.remove(a.read_end.get(), ra.get()); ra.reset(); ++removed; };
    a.put();
    b.put();
    // Both are ready before the loop runs, so they arrive in one batch.
    run_ready(io);
    EXPECT_EQ(removed, 1);
    EXPECT_TRUE(!ra || !rb) << "both targets were called";
    EXPECT_EQ(poller.watched(), 1u);
}

}  // namespace
}  // namespace confab::net
