#include "client/ws_upgrade.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "client/ws_client_codec.hpp"
#include "core/ascii.hpp"

namespace confab::client {
namespace {


tl::unexpected<Error> refused(std::string why) {
    return fail(ErrorCode::HandshakeFailed, "WebSocket handshake failed: " + why);
}

}  // namespace

UpgradeRequest make_upgrade_request(std::string_view host_header, std::string_view path,
                                    const std::array<std::uint8_t, 16>& nonce) {
    char b64[32];
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64), nonce.data(),
                    static_cast<int>(nonce.size()));
    UpgradeRequest out;
    out.key = b64;
    out.text.reserve(256);
    out.text.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_header);
    out.text.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
    out.text.append(out.key);
    out.text.append("\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ");
    out.text.append(kSubprotocol).append("\r\nUser-Agent: libconfab/0.1\r\n\r\n");
    return out;
}

Result<void> check_upgrade_response(std::string_view head, std::string_view key) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view status = head.substr(0, eol);
    // "HTTP/1.1 101 Switching Protocols"
    if (status.size() < 12 || !status.starts_with("HTTP/1.")) {
        return refused("not an HTTP response");
    }
    if (status.substr(9, 3) != "101") return refused("server answered " + std::string(status));
    bool upgrade = false;
    bool connection = false;
    bool accept_ok = false;
    std::string_view protocol;
    const std::string accept = expected_accept(key);
    std::size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
    while (pos < head.size()) {
        std::size_t end = head.find("\r\n", pos);
        if (end == std::string_view::npos) end = head.size();
        const std::string_view line = head.substr(pos, end - pos);
        pos = end + 2;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = trim_blanks(line.substr(0, colon));
        const std::string_view value = trim_blanks(line.substr(colon + 1));
        if (iequals_ascii(name, "upgrade")) upgrade = iequals_ascii(value, "websocket");
        if (iequals_ascii(name, "connection")) connection = has_token(value, "upgrade");
        if (iequals_ascii(name, "sec-websocket-accept")) accept_ok = value == accept;
        if (iequals_ascii(name, "sec-websocket-protocol")) protocol = value;
    }
    if (!upgrade || !connection) return refused("101 without Upgrade: websocket");
    if (!accept_ok) return refused("wrong Sec-WebSocket-Accept");
    // RFC 6455 §4.1: a subprotocol we did not offer, or none when we need one, fails it.
    if (protocol != kSubprotocol) {
        return refused("server did not accept the confab.v1 subprotocol");
    }
    return {};
}

}  // namespace confab::client
