#include "notify/webhook_url.hpp"

#include <charconv>
#include <stdexcept>

namespace confab::notify {

namespace {
[[noreturn]] void invalid(std::string_view url, std::string_view why) {
    throw std::invalid_argument("--webhook '" + std::string(url) + "': " + std::string(why));
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

bool is_plain_target(std::string_view target) {
    // What may go into a request line unescaped: visible ASCII (RFC 9112 §3.2).
    for (char c : target) {
        if (c <= ' ' || c == 0x7f) return false;
    }
    return true;
}
}  // namespace

std::string WebhookUrl::host_header() const {
    std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return port == 80 ? name : name + ":" + std::to_string(port);
}

WebhookUrl parse_webhook_url(std::string_view text) {
    if (starts_with_ci(text, "https://")) {
        invalid(text,
                "https is not supported yet; use an http:// URL (e.g. to a local TLS-terminating "
                "proxy)");
    }
    if (!starts_with_ci(text, "http://")) invalid(text, "expected an http:// URL");
    std::string_view rest = text.substr(7);
    std::size_t slash = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, slash);
    std::string_view target = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (target.find('#') != std::string_view::npos)
        invalid(text, "a fragment (#...) is not sent to servers");
    if (authority.find('@') != std::string_view::npos) {
        invalid(text, "credentials in the URL are not supported; use --webhook-secret");
    }
    WebhookUrl url;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) invalid(text, "unclosed '[' in the host");
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') invalid(text, "unexpected text after ']'");
        if (!after.empty()) port = after.substr(1);
        if (after == ":") invalid(text, "empty port");
    } else {
        std::size_t colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) invalid(text, "empty port");
        }
    }
    if (url.host.empty()) invalid(text, "no host");
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            invalid(text, "invalid port");
        }
        url.port = static_cast<std::uint16_t>(value);
    }
    if (!is_plain_target(target)) invalid(text, "spaces and control characters must be %-escaped");
    url.target = target.empty()          ? "/"
                 : target.front() == '?' ? "/" + std::string(target)
                                         : std::string(target);
    return url;
}

}  // namespace confab::notify
