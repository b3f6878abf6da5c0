// Server side of the opening handshake (RFC 6455 §4.2), independent of the HTTP parser.
// Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ws/deflate.hpp"

namespace confab::ws {

// The parts of an HTTP request that decide an upgrade. Header values are as received
// (possibly comma-separated lists, any case); absent headers are empty.
struct UpgradeRequest {
    std::string_view method;    // must be GET
    unsigned http_version = 11; // 11 = HTTP/1.1 (10 for 1.0); must be >= 11
    std::string_view upgrade;   // must contain token "websocket" (case-insensitive)
    std::string_view connection;  // must contain token "upgrade" (case-insensitive)
    std::string_view key;       // Sec-WebSocket-Key: base64 of exactly 16 bytes
    std::string_view version;   // Sec-WebSocket-Version: must be "13"
    std::string_view extensions;  // Sec-WebSocket-Extensions
};

struct UpgradeDecision {
    // 101 to switch; 400 for a malformed request; 426 for a version other than 13 (the
    // reply must then carry "Sec-WebSocket-Version: 13", RFC 6455 §4.4); 405 for a non-GET.
    int status = 400;
    std::string error;   // why, when status != 101
    std::string accept;  // Sec-WebSocket-Accept value when status == 101
    std::optional<DeflateNegotiation> deflate;  // when offered, allowed and acceptable
};

UpgradeDecision check_upgrade(const UpgradeRequest& request, bool allow_deflate);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 §4.2.2.
std::string accept_key(std::string_view client_key);

// True if `key` is base64 (with padding) decoding to exactly 16 bytes.
bool is_valid_client_key(std::string_view key);

// True if the comma-separated, case-insensitive token list `header` contains `token`.
bool header_has_token(std::string_view header, std::string_view token);

}  // namespace confab::ws
