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

// A poller on its own io_context, and a pipe whose read end `reader` watches.
class PollerTest : public testing::Test {
protected:
    PollerTest() { EXPECT_TRUE(poller.add(pipe.read_end.get(), &reader)); }

    // Runs what is ready now, one handler at a time and without blocking (the pipes were
    // written before), up to a bound: a level-triggered report that is never consumed would
    // keep io_context::poll() busy forever.
    void run_ready() {
        for (int i = 0; i < 16; ++i) {
            io.restart();
            if (io.poll_one() == 0) return;
        }
    }

    boost::asio::io_context io;
    Poller poller{io};
    Pipe pipe;
    Recorder reader;
};

TEST_F(PollerTest, ReportsReadableInputToItsTarget) {
    run_ready();
    EXPECT_TRUE(reader.events.empty()) << "nothing written yet";
    pipe.put();
    run_ready();
    ASSERT_FALSE(reader.events.empty());
    EXPECT_TRUE(reader.events.front() & EPOLLIN);
    EXPECT_EQ(poller.watched(), 1u);
}

TEST_F(PollerTest, ReportsAgainWhileInputIsLeftUnread) {
    // Level-triggered: a connection that stops reading early (fairness) is not forgotten.
    pipe.put();
    run_ready();
    const std::size_t first = reader.events.size();
    ASSERT_GE(first, 1u);
    run_ready();
    EXPECT_GT(reader.events.size(), first);
    char c;
    ASSERT_EQ(::read(pipe.read_end.get(), &c, 1), 1);
    run_ready();
    const std::size_t drained = reader.events.size();
    run_ready();
    EXPECT_EQ(reader.events.size(), drained) << "reported after the input was read";
}

TEST_F(PollerTest, UpdateStopsInputReportsAndWatchesOutput) {
    Recorder writer;
    ASSERT_TRUE(poller.add(pipe.write_end.get(), &writer));
    poller.update(pipe.read_end.get(), &reader, 0);
    pipe.put();
    run_ready();
    EXPECT_TRUE(reader.events.empty()) << "input reported though not watched";
    EXPECT_TRUE(writer.events.empty()) << "output reported though not watched";
    poller.update(pipe.write_end.get(), &writer, EPOLLOUT);
    run_ready();
    ASSERT_FALSE(writer.events.empty());
    EXPECT_TRUE(writer.events.front() & EPOLLOUT);
}

TEST_F(PollerTest, ReportsHangUpEvenWhenNothingIsWatched) {
    poller.update(pipe.read_end.get(), &reader, 0);
    pipe.write_end.reset();
    run_ready();
    ASSERT_FALSE(reader.events.empty());
    EXPECT_TRUE(reader.events.front() & EPOLLHUP);
}

TEST_F(PollerTest, RemovedTargetGetsNoEventAlreadyFetchedInTheSameBatch) {
    // Whichever of the two is dispatched first removes (and frees) the other: the other's
    // event, fetched in the same epoll_wait, must not reach it.
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
    run_ready();
    EXPECT_EQ(removed, 1);
    EXPECT_TRUE(!ra || !rb) << "both targets were called";
    EXPECT_EQ(poller.watched(), 2u);  // the fixture's pipe and the survivor
}

}  // namespace
}  // namespace confab::net
