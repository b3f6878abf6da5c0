// /ws/echo: every message comes back as it was sent (diagnostics and conformance tools).
#pragma once

#include "session/ws_session.hpp"

namespace confab::session {

class EchoEndpoint final : public WsSession {
public:
    using WsSession::WsSession;

private:
    void on_ws_message(ws::Opcode op, std::string_view payload) override;
};

}  // namespace confab::session
