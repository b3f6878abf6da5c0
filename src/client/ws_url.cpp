#include "client/ws_url.hpp"

#include <charconv>

namespace confab::client {
namespace {

tl::unexpected<Error> invalid(std::string_view url, std::string_view why) {
    return fail(ErrorCode::InvalidUrl, "invalid URL '" + std::string(url) +
                                           "': " + std::string(why) +
                                           " (expected ws://HOST[:PORT][/PATH])");
}

bool valid_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size() && value >= 1 && value <= 65535;
}

}  // namespace

Result<WsUrl> parse_ws_url(std::string_view url) {
    constexpr std::string_view kScheme = "ws://";
    if (url.starts_with("wss://")) return invalid(url, "wss:// (TLS) is not supported");
    if (url.size() < kScheme.size() || url.substr(0, kScheme.size()) != kScheme) {
        return invalid(url, "the scheme must be ws://");
    }
    for (char c : url) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
            return invalid(url, "contains whitespace or control characters");
        }
    }
    if (url.find('#') != std::string_view::npos) return invalid(url, "fragments are not allowed");
    std::string_view rest = url.substr(kScheme.size());
    const std::size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
        return invalid(url, "user information is not supported");
    }
    WsUrl out;
    out.host_header = std::string(authority);
    std::string_view host = authority;
    std::string_view port;
    if (authority.starts_with('[')) {  // [IPv6]:port
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return invalid(url, "unclosed '[' in the host");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return invalid(url, "junk after ']'");
            port = after.substr(1);
            if (port.empty()) return invalid(url, "empty port");
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) return invalid(url, "empty port");
    }
    if (host.empty()) return invalid(url, "no host");
    if (!port.empty() && !valid_port(port)) return invalid(url, "the port must be 1-65535");
    out.host = std::string(host);
    out.port = port.empty() ? "80" : std::string(port);
    if (path.empty() || path == "/") {
        out.path = "/ws";
    } else if (path.front() == '?') {
        out.path = "/ws" + std::string(path);
    } else {
        out.path = std::string(path);
    }
    return out;
}

}  // namespace confab::client
