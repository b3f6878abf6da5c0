// The webhook's address: `http://host[:port][/path][?query]`. Only plain HTTP for now (no
// TLS client yet): an https:// URL is refused with a message that says so. Pure; start-up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace confab::notify {

struct WebhookUrl {
    std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = 80;
    std::string target = "/";  // path and query, as sent in the request line
    // The Host header: "host" or "host:port" (brackets around IPv6).
    std::string host_header() const;
};

// Throws std::invalid_argument with a message fit for the command line.
WebhookUrl parse_webhook_url(std::string_view text);

}  // namespace confab::notify
