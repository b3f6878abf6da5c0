// A TCP proxy for tests that puts faults between a client and a server: cut every
// connection, black-hole traffic (a zombie: the sockets stay open, bytes vanish), delay it,
// or refuse new connections. Listens on 127.0.0.1 (an ephemeral port) and forwards to an
// upstream port on 127.0.0.1. Runs its own I/O thread; every method may be called from any
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

namespace confab::testing {

class FaultProxy {
public:
    explicit FaultProxy(std::uint16_t upstream_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    std::uint16_t port() const { return port_; }
    // Where new connections go (e.g. a restarted server on another port).
    void set_upstream(std::uint16_t port) { upstream_.store(port); }

    // Resets every live connection (both sides see an RST). New connections still work.
    void cut();
    // On: bytes in both directions are read and dropped, the connections stay open; new
    // connections are accepted and treated the same. Off: forwarding resumes (what was
    // dropped stays lost, so the peers' streams are corrupt: cut() after a black hole).
    void set_blackhole(bool on) { blackhole_.store(on); }
    // Each chunk is forwarded `delay` after it arrived (0: at once).
    void set_delay(std::chrono::milliseconds delay) { delay_ms_.store(delay.count()); }
    // On: new connections are accepted and closed at once (existing ones are unaffected).
    void set_refuse(bool on) { refuse_.store(on); }

    std::size_t accepted() const { return accepted_.load(); }  // connections so far

private:
    class Engine;
    std::unique_ptr<Engine> engine_;
    std::uint16_t port_ = 0;
    std::atomic<std::uint16_t> upstream_;
    std::atomic<bool> blackhole_{false};
    std::atomic<bool> refuse_{false};
    std::atomic<std::int64_t> delay_ms_{0};
    std::atomic<std::size_t> accepted_{0};
    std::thread thread_;
};

}  // namespace confab::testing
