#include "bench/broadcast_wire.hpp"

#include "bench/v1_text.hpp"

namespace confab::bench {
namespace {

std::string room_name(std::uint32_t room) {
    return "bench-" + std::to_string(room);
}

}  // namespace

BroadcastWire::BroadcastWire(Protocol protocol, int qos, std::size_t size)
    : protocol_(protocol), qos_(qos), body_(make_payload(size)) {}

std::size_t BroadcastWire::min_size(Protocol protocol) {
    return protocol == Protocol::Plain ? kPayloadHeaderBytes : kTextHeaderBytes;
}

std::string BroadcastWire::path(Protocol protocol, std::uint32_t room) {
    return protocol == Protocol::Plain ? "/ws/rooms/" + room_name(room) : "/ws";
}

void BroadcastWire::open(ClientConn& conn, std::uint32_t room) const {
    if (protocol_ == Protocol::Plain) return;
    conn.send_text(v1::hello("bench"));
    conn.send_text(v1::join(room_name(room)));
}

void BroadcastWire::send(ClientConn& conn, std::uint32_t room, const PayloadHeader& h) {
    if (protocol_ == Protocol::Plain) {
        write_header(body_, h);
        return conn.send_binary(body_);
    }
    write_text_header(body_, h);
    const std::string id =
        qos_ == 1 ? std::to_string(h.sender) + "-" + std::to_string(h.seq) : std::string();
    conn.send_text(v1::pub(room_name(room), qos_, id, body_));
}

BroadcastWire::Kind BroadcastWire::read(std::string_view payload, PayloadHeader& h) const {
    if (protocol_ == Protocol::Plain) {
        return read_header(payload, h) ? Kind::Message : Kind::Malformed;
    }
    switch (v1::type_of(payload)) {
        case v1::Type::Msg: {
            const auto data = v1::data_string(payload, body_.size());
            return data && read_text_header(*data, h) ? Kind::Message : Kind::Malformed;
        }
        case v1::Type::Joined:
            return Kind::Joined;
        case v1::Type::Ack:
            return Kind::Acked;
        case v1::Type::Error:
            return Kind::Failed;
        default:
            return Kind::Ignored;
    }
}

}  // namespace confab::bench
