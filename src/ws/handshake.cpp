#include "ws/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <string>

#include "core/ascii.hpp"

namespace confab::ws {
namespace {

// RFC 6455 §1.3 / §4.2.2 step 5.
constexpr std::string_view kAcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}


UpgradeDecision reject(int status, std::string why) {
    UpgradeDecision d;
    d.status = status;
    d.error = std::move(why);
    return d;
}

}  // namespace

bool header_has_token(std::string_view header, std::string_view token) {
    while (true) {
        const std::size_t comma = header.find(',');
        if (iequals_ascii(trim_blanks(header.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) return false;
        header.remove_prefix(comma + 1);
    }
}

bool is_valid_client_key(std::string_view key) {
    // 16 bytes are 22 base64 characters and "==" (RFC 6455 §4.1 item 7, RFC 4648 §4).
    // EVP_DecodeBlock alone is too lenient: it accepts '=' anywhere and strips whitespace.
    if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
    if (!std::all_of(key.begin(), key.begin() + 22, is_base64_char)) return false;
    unsigned char decoded[18];
    // Decodes whole quanta: the two padding characters come back as two zero bytes.
    const int n = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()),
                                  static_cast<int>(key.size()));
    return n == 18;
}

std::string accept_key(std::string_view client_key) {
    std::string input;
    input.reserve(client_key.size() + kAcceptGuid.size());
    input.append(client_key).append(kAcceptGuid);
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
    char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];  // 28 characters and a NUL
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded), digest, SHA_DIGEST_LENGTH);
    return std::string(encoded, static_cast<std::size_t>(n));
}

UpgradeDecision check_upgrade(const UpgradeRequest& request, bool allow_deflate) {
    // RFC 6455 §4.2.1 lists what a valid opening handshake carries; each check below is one
    // item. Order: the method and HTTP version first (they decide whether this is an upgrade
    // at all), then the version, so a client speaking another draft learns which version we
    // speak (§4.4) even if its other headers differ.
    if (request.method != "GET") return reject(405, "WebSocket upgrade requires GET");
    if (request.http_version < 11) return reject(400, "WebSocket upgrade requires HTTP/1.1");
    if (!header_has_token(request.upgrade, "websocket")) {
        return reject(400, "missing 'Upgrade: websocket'");
    }
    if (!header_has_token(request.connection, "upgrade")) {
        return reject(400, "missing 'Connection: Upgrade'");
    }
    if (trim_blanks(request.version) != "13") {
        return reject(426, "unsupported Sec-WebSocket-Version; this server speaks 13");
    }
    const std::string_view key = trim_blanks(request.key);
    if (!is_valid_client_key(key)) {
        return reject(400, "Sec-WebSocket-Key must be base64 of 16 bytes");
    }

    UpgradeDecision d;
    d.status = 101;
    d.accept = accept_key(key);
    if (allow_deflate && !request.extensions.empty()) {
        d.deflate = negotiate_deflate(request.extensions);
    }
    return d;
}

}  // namespace confab::ws
