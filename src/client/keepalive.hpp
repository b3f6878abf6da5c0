// Zombie detection: after `interval` without a byte from the server, ping; if nothing comes
// back within `timeout`, the connection is dead even though TCP has not noticed (a server
// that hangs, a NAT that forgot us, a black-holing link). Pure; one client's strand.
#pragma once

#include <chrono>

namespace confab::client {

class Keepalive {
public:
    using Clock = std::chrono::steady_clock;

    enum class Action { Wait, SendPing, Dead };

    Keepalive(std::chrono::milliseconds interval, std::chrono::milliseconds timeout)
        : interval_(interval), timeout_(timeout) {}

    // A new connection opened at `now`.
    void start(Clock::time_point now) {
        last_rx_ = now;
        ping_sent_ = false;
    }
    // Any bytes from the server are a sign of life (the answer to our ping included).
    void on_received(Clock::time_point now) {
        last_rx_ = now;
        ping_sent_ = false;
    }

    // What to do at `now`. SendPing is returned once per silence; the caller sends the ping.
    Action poll(Clock::time_point now) {
        if (ping_sent_) return now >= ping_at_ + timeout_ ? Action::Dead : Action::Wait;
        if (now >= last_rx_ + interval_) {
            ping_sent_ = true;
            ping_at_ = now;
            return Action::SendPing;
        }
        return Action::Wait;
    }

    // When poll() may next return something other than Wait.
    Clock::time_point next_deadline() const {
        return ping_sent_ ? ping_at_ + timeout_ : last_rx_ + interval_;
    }

private:
    std::chrono::milliseconds interval_;
    std::chrono::milliseconds timeout_;
    Clock::time_point last_rx_{};
    Clock::time_point ping_at_{};
    bool ping_sent_ = false;  // a ping is out and nothing has arrived since
};

}  // namespace confab::client
