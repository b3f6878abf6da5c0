// Where the bench connects: a parsed ws:// (or http://) URL and the local source addresses to
// bind.
// Parsing happens once at start-up (throws std::invalid_argument with a CLI-ready message).
#pragma once

#include <netinet/in.h>

#include <string>
#include <string_view>
#include <vector>

namespace confab::bench {

struct Target {
    sockaddr_in addr{};       // resolved IPv4 address and port of the server
    std::string host_header;  // "host:port" as written in the URL
    std::string path;         // "/..." (empty when the URL had none)
};

// "ws://HOST[:PORT][/PATH]"; HOST is an IPv4 literal or a name resolving to IPv4 (the bench
// targets loopback and LAN servers). wss:// is refused (no TLS in the bench).
Target parse_ws_url(std::string_view url);
// The same for "http://HOST[:PORT][/PATH]" (https:// is refused).
Target parse_http_url(std::string_view url);

// "127.0.0.1-127.0.0.9" (an inclusive range), "10.0.0.1,10.0.0.2", or a single address.
// Empty text: no binding (the kernel picks the source address).
std::vector<in_addr> parse_source_addrs(std::string_view text);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
unsigned long raise_fd_limit();

}  // namespace confab::bench
