// The client's lifecycle contract: close() leaves no thread and no socket behind, no
// callback runs after it returns (also when called from a callback), pending publications
// complete with Closed, callbacks that throw do not hurt, and the caller's io_context works.
#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <thread>

#include "support/client_fixture.hpp"

namespace confab::testing {
namespace {

std::size_t count_entries(const char* dir) {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        (void)e;
        ++n;
    }
    return n;
}

std::size_t threads() {
    // ThreadSanitizer's runtime starts a thread of its own along with the process's first
    // thread: have it started before anything is counted, so only the client's are seen.
    static const bool runtime_threads_started = [] {
        std::thread([] {}).join();
        return true;
    }();
    (void)runtime_threads_started;
    return count_entries("/proc/self/task");
}

// The thread count once `expected` is reached, or after a second. A joined thread has
// finished its work but the kernel lists it in /proc/self/task until it is reaped, a moment
// after pthread_join returns: a busy machine showed that moment. A thread that really stays
// is still counted after the wait.
std::size_t threads_settled_at(std::size_t expected) {
    const auto deadline = std::chrono::steady_clock::now() + scaled(std::chrono::seconds(1));
    std::size_t n = threads();
    while (n != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        n = threads();
    }
    return n;
}

std::size_t sockets() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        auto target = std::filesystem::read_symlink(e.path(), ec);
        if (!ec && target.string().rfind("socket:", 0) == 0) ++n;
    }
    return n;
}

TEST(ClientLifecycle, CloseLeavesNoThreadsAndNoSockets) {
    ServerProcess server;
    server.start();
    const std::size_t threads_before = threads();
    const std::size_t sockets_before = sockets();
    {
        Recorder rec;
        Client client = make_client(server.url(), fast_options(&rec));
        ASSERT_TRUE(client.join("life", rec.handlers()));
        auto p = client.publish("life", numbered(1));
        ASSERT_TRUE(p);
        ASSERT_TRUE(p->wait_for(scaled(5s)).has_value());
        EXPECT_GT(threads(), threads_before);
        EXPECT_GT(sockets(), sockets_before);
        client.close();
        EXPECT_EQ(threads_settled_at(threads_before), threads_before);
        EXPECT_EQ(sockets(), sockets_before);
        EXPECT_EQ(client.state(), ConnectionState::Closed);
    }
    EXPECT_EQ(threads_settled_at(threads_before), threads_before);
}

TEST(ClientLifecycle, NoCallbackRunsAfterCloseReturns) {
    ServerProcess server;
    server.start();
    Client pub = make_client(server.url(), fast_options(nullptr, "flood"));
    std::atomic<bool> closed{false};
    std::atomic<int> late{0};
    std::atomic<int> calls{0};
    RoomHandlers h;
    h.on_message = [&](const Message&) {
        ++calls;
        std::this_thread::sleep_for(1ms);  // widen the window for a race
        if (closed.load()) ++late;
    };
    ClientOptions o = fast_options();
    o.on_state = [&](const StateChange&) {
        if (closed.load()) ++late;
    };
    Client sub = make_client(server.url(), o);
    ASSERT_TRUE(sub.join("flood", h));
    std::atomic<bool> stop{false};
    std::thread flood([&] {
        for (long i = 0; !stop.load(); ++i) {
            (void)pub.publish("flood", numbered(i), {.qos = Qos::AtMostOnce});
            std::this_thread::sleep_for(200us);
        }
    });
    const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
    while (calls.load() < 20 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);  // until deliveries are under way
    }
    EXPECT_GE(calls.load(), 20);
    sub.close();
    closed = true;
    std::this_thread::sleep_for(50ms);  // give a stray callback the chance to show itself
    stop = true;
    flood.join();
    EXPECT_EQ(late.load(), 0);
}

TEST(ClientLifecycle, CloseFromInsideACallbackStopsEverything) {
    ServerProcess server;
    server.start();
    const std::size_t base_threads = threads();
    std::optional<Client> client;
    std::atomic<int> after{0};
    std::atomic<bool> closed_inside{false};
    std::atomic<bool> joined{false};
    RoomHandlers h;
    h.on_joined = [&](const Result<Joined>& j) { joined = j.has_value(); };
    h.on_message = [&](const Message&) {
        if (closed_inside.exchange(true)) {
            ++after;
            return;
        }
        client->close();  // from the client's own thread
    };
    client.emplace(make_client(server.url(), fast_options()));
    ASSERT_TRUE(client->join("inside", h));
    // A join without `since` sees only what is published after it: wait for it.
    const auto join_deadline = std::chrono::steady_clock::now() + scaled(5s);
    while (!joined.load() && std::chrono::steady_clock::now() < join_deadline) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(joined.load());
    Client pub = make_client(server.url(), fast_options(nullptr, "pub"));
    for (int i = 0; i < 5; ++i) {
        auto p = pub.publish("inside", numbered(i));
        ASSERT_TRUE(p);
        ASSERT_TRUE(p->wait_for(scaled(5s)).has_value());
    }
    const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
    while (!closed_inside.load() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(closed_inside.load());
    EXPECT_EQ(client->state(), ConnectionState::Closed);
    auto refused = client->publish("inside", numbered(9));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Closed);
    client.reset();  // joins the I/O thread (which ended when the callback returned)
    EXPECT_EQ(threads_settled_at(base_threads + 1), base_threads + 1)
        << "only the publisher's thread is left";
    EXPECT_EQ(after.load(), 0);
}

TEST(ClientLifecycle, PendingPublicationsCompleteWithClosed) {
    const std::uint16_t port = ServerProcess::free_port();  // never up
    Client client = make_client("ws://127.0.0.1:" + std::to_string(port) + "/ws", fast_options());
    auto p = client.publish("never", numbered(1));
    ASSERT_TRUE(p);
    std::atomic<int> callbacks{0};
    ASSERT_TRUE(client.publish("never", numbered(2), {}, [&](const Result<Ack>&) { ++callbacks; }));
    client.close();
    auto r = p->wait_for(scaled(1s));
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().code, ErrorCode::Closed);
    EXPECT_EQ(callbacks.load(), 0) << "a callback ran after close()";
}

TEST(ClientLifecycle, ThrowingCallbacksDoNotStopDelivery) {
    ServerProcess server;
    server.start();
    Recorder rec;
    std::atomic<int> seen{0};
    RoomHandlers h;
    h.on_message = [&](const Message&) {
        ++seen;
        throw std::runtime_error("application bug");
    };
    Client client = make_client(server.url(), fast_options(&rec));
    ASSERT_TRUE(client.join("throw", h));
    for (int i = 0; i < 3; ++i) {
        auto p = client.publish("throw", numbered(i));
        ASSERT_TRUE(p);
        auto r = p->wait_for(scaled(5s));
        ASSERT_TRUE(r && *r);
    }
    const auto deadline = std::chrono::steady_clock::now() + scaled(5s);
    while (seen.load() < 3 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(seen.load(), 3);
    EXPECT_EQ(client.state(), ConnectionState::Connected);
}

TEST(ClientLifecycle, RunsOnTheCallersIoContext) {
    ServerProcess server;
    server.start();
    boost::asio::io_context io;
    const std::size_t threads_before = threads();
    Recorder rec;
    ClientOptions o = fast_options(&rec);
    auto client = Client::create(io, server.url(), o);
    ASSERT_TRUE(client);
    EXPECT_EQ(threads(), threads_before) << "the client started a thread of its own";
    std::thread runner([&] { io.run(); });
    ASSERT_TRUE(client->join("io", rec.handlers()));
    auto p = client->publish("io", numbered(7));
    ASSERT_TRUE(p);
    auto r = p->wait_for(scaled(5s));
    ASSERT_TRUE(r && *r);
    ASSERT_TRUE(rec.wait_messages(1, scaled(5s)));
    client->close();
    runner.join();  // run() returns: the client left no work behind
}

TEST(ClientLifecycle, InvalidUrlAndOptionsAreErrorValues) {
    auto bad_url = Client::create("http://127.0.0.1:1/ws");
    ASSERT_FALSE(bad_url);
    EXPECT_EQ(bad_url.error().code, ErrorCode::InvalidUrl);
    ClientOptions o;
    o.nick = "no spaces allowed";
    auto bad_nick = Client::create("ws://127.0.0.1:1/ws", o);
    ASSERT_FALSE(bad_nick);
    EXPECT_EQ(bad_nick.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace confab::testing
