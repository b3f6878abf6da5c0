// The client side of the WebSocket opening handshake (RFC 6455 §4.1): the upgrade request,
// and the checks on the server's response head. Pure; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "client/client_error.hpp"

namespace confab::client {

inline constexpr std::string_view kSubprotocol = "confab.v1";
inline constexpr std::size_t kMaxResponseHead = 16 * 1024;

struct UpgradeRequest {
    std::string text;  // the whole request head, ending in an empty line
    std::string key;   // Sec-WebSocket-Key sent (base64 of 16 random bytes)
};

UpgradeRequest make_upgrade_request(std::string_view host_header, std::string_view path,
                                    const std::array<std::uint8_t, 16>& nonce);

// `head` is the response up to and excluding the empty line. HandshakeFailed unless it is
// 101 with Upgrade: websocket, Connection: upgrade, the right Sec-WebSocket-Accept
// (RFC 6455 §4.1 step 4) and Sec-WebSocket-Protocol: confab.v1; an HTTP error is named by its
// status line ("HTTP/1.1 404 Not Found").
Result<void> check_upgrade_response(std::string_view head, std::string_view key);

}  // namespace confab::client
