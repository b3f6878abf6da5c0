// ServerConfig: everything `confab serve` can be told, with the defaults users get.
// Parsing helpers throw std::invalid_argument with a message fit for the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/webhook_config.hpp"
#include "session/session_config.hpp"
#include "store/store_config.hpp"

namespace confab::server {

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};

struct ServerConfig {
    HostPort listen{"127.0.0.1", 8080};
    std::optional<HostPort> telnet_listen = HostPort{"127.0.0.1", 3030};
    unsigned threads = 0;  // 0: one loop per core
    std::string data_dir = "./data";
    std::string web_root;  // the chat page's files
    std::int64_t max_connections = 100'000;
    std::vector<std::string> api_keys;  // Bearer keys for /api; none: loopback peers only
    // /api requests per second per client address (0: no limit), and the burst allowed on
    // top (0: 2 × api_rate); split across the loops, see http::per_loop_share.
    double api_rate = 1000;
    double api_burst = 0;
    session::SessionConfig session{};
    store::StoreConfig history{};  // data_dir is filled from data_dir
    std::optional<notify::WebhookConfig> webhook;  // --webhook; none: no events are counted
};

// "always" | "batch" | "off".
store::SyncMode parse_sync_mode(std::string_view text);

// "127.0.0.1:8080", "[::1]:8080", ":8080" (all interfaces) → host and port.
HostPort parse_host_port(std::string_view text);
// "250ms", "30s", "2m", or a bare number of seconds ("1.5").
std::chrono::milliseconds parse_duration(std::string_view text);
// "1048576", "64KiB", "4MiB", "1GiB" (also K/M/G, KB/MB/GB as powers of 1024).
std::size_t parse_size(std::string_view text);

}  // namespace confab::server
