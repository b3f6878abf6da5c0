#include "session/echo_endpoint.hpp"

#include "core/log.hpp"
#include "ws/close_code.hpp"

namespace confab::session {

void EchoEndpoint::on_ws_message(ws::Opcode op, std::string_view payload) {
    if (send_message(op, payload) == net::PushResult::Overflow) {
        // The peer sends faster than it reads: it would grow our memory without bound.
        stats().add(stats().slow_consumer_closes);
        log::info("ws {} {}: echo backlog over the send queue limit: closing with 1013",
                  connection().id(), connection().peer());
        close(ws::close_code::kTryAgainLater, "send queue full");
    }
}

}  // namespace confab::session
