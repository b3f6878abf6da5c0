// What a protocol (HTTP, WebSocket, telnet) plugs into a Connection. Every call comes from the
// connection's loop; a handler may call back into its Connection freely, including close.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

namespace confab::net {

using Clock = std::chrono::steady_clock;

class ConnectionHandler {
public:
    virtual ~ConnectionHandler() = default;
    // The handler is installed (first, or after an upgrade); it may send from here on.
    virtual void on_start() {}
    // Bytes received, in a buffer the handler may modify (WebSocket unmasks in place) but must
    // not keep: it is the loop's shared read buffer.
    virtual void on_data(std::span<std::uint8_t> bytes) = 0;
    // Called on each loop tick (a fraction of the shortest timeout) for deadlines.
    virtual void on_tick(Clock::time_point now) = 0;
    // The server is shutting down: say goodbye and close.
    virtual void on_shutdown() = 0;
    // The connection is gone (closed by either side): release rooms and other references.
    // Called once; no other call follows.
    virtual void on_closed() = 0;
};

}  // namespace confab::net
