// Parsing the server address a client is given: ws://host[:port][/path]. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

#include "client/client_error.hpp"

namespace confab::client {

struct WsUrl {
    std::string host;         // name or address, without IPv6 brackets
    std::string port;         // decimal, "80" when absent
    std::string path;         // starts with '/', "/ws" when absent
    std::string host_header;  // the Host header value (RFC 7230 §5.4): host[:port] as given
};

// InvalidUrl with a message fit for the command line for anything else: another scheme
// (wss:// is refused: libconfab has no TLS yet), an empty host, a port outside 1-65535,
// whitespace, a fragment.
Result<WsUrl> parse_ws_url(std::string_view url);

}  // namespace confab::client
