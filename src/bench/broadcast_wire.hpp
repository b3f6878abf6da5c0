// How the broadcast scenario's messages travel, so that plain rooms and confab.v1 are
// measured by the same publishers and receivers: plain rooms carry the payload itself (a
// binary message, PayloadHeader first); confab.v1 carries a `pub` whose data string starts
// with the header as text, and receivers read it back from the `msg` event. One per worker;
// worker thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/payload.hpp"
#include "bench/scenarios.hpp"
#include "bench/ws_client_conn.hpp"

namespace confab::bench {

class BroadcastWire {
public:
    // `size`: the whole message (plain) or the data string (v1); at least min_size().
    BroadcastWire(Protocol protocol, int qos, std::size_t size);

    static std::size_t min_size(Protocol protocol);
    // Request target of a member of `room`: /ws/rooms/bench-<room>, or /ws for confab.v1.
    static std::string path(Protocol protocol, std::uint32_t room);
    // v1: sends hello and joins bench-<room> (the member is ready when Kind::Joined comes).
    void open(ClientConn& conn, std::uint32_t room) const;
    // Sends one message into `room` stamped with `h` (QoS 1: id "<sender>-<seq>").
    void send(ClientConn& conn, std::uint32_t room, const PayloadHeader& h);

    enum class Kind {
        Message,    // a broadcast message: `h` is filled
        Malformed,  // a data message without our header
        Joined,     // v1: the join was answered
        Acked,      // v1 QoS 1: a publish was stored
        Failed,     // v1: an error reply
        Ignored,    // v1: presence, welcome
    };
    Kind read(std::string_view payload, PayloadHeader& h) const;

private:
    Protocol protocol_;
    int qos_;
    std::string body_;  // the plain payload, or a v1 data string, rewritten per send
};

}  // namespace confab::bench
