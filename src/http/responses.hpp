// HTTP/1.1 response bytes, built whole into a SharedFrame for the connection's outbox.
// Errors are application/problem+json (RFC 9457). Pure; any thread.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/shared_frame.hpp"

namespace confab::http {

using HeaderList = std::initializer_list<std::pair<std::string_view, std::string_view>>;

enum class KeepAlive { No, Yes };
enum class BodyMode { Full, HeadersOnly };  // HEAD responses carry the length but no body

std::string_view reason_phrase(int status);

FrameRef make_response(int status, std::string_view content_type, std::string_view body,
                       KeepAlive keep_alive, HeaderList extra = {},
                       BodyMode mode = BodyMode::Full);

// The 101 reply to a WebSocket upgrade; `extensions` and `subprotocol` are left out if empty.
FrameRef switching_protocols(std::string_view accept, std::string_view extensions,
                             std::string_view subprotocol);

// {"type":"about:blank","title":<reason phrase>,"status":N,"detail":...}
FrameRef make_problem(int status, std::string_view detail, KeepAlive keep_alive,
                      HeaderList extra = {});

}  // namespace confab::http
