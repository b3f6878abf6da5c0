// `confab serve`: flags → ServerConfig → Server.
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "app/commands.hpp"
#include "core/log.hpp"
#include "notify/webhook_url.hpp"
#include "server/config.hpp"
#include "server/server.hpp"

namespace confab::app {

namespace {
// The chat page's files: the source tree's web/ for a binary run from its build tree, else
// <prefix>/share/confab/web next to an installed <prefix>/bin/confab (cmake --install).
std::string default_web_root() {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(CONFAB_WEB_ROOT, ec)) return CONFAB_WEB_ROOT;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    const fs::path installed = exe.parent_path().parent_path() / "share" / "confab" / "web";
    if (!ec && fs::is_directory(installed, ec)) return installed.string();
    return CONFAB_WEB_ROOT;  // missing: the start-up error names it
}

struct ServeFlags {
    std::string listen = "127.0.0.1:8080";
    std::string telnet_listen = "127.0.0.1:3030";
    unsigned threads = 0;
    std::string data_dir = "./data";
    std::string web_root = default_web_root();
    std::string max_message_size = "1MiB";
    unsigned send_queue_limit = 256;
    std::string send_queue_bytes = "4MiB";
    std::string ping_interval = "30s";
    std::string pong_timeout = "10s";
    std::string handshake_timeout = "10s";
    std::string close_timeout = "5s";
    std::int64_t max_connections = 100'000;
    std::string max_line = "4KiB";
    std::size_t presence_limit = 1000;
    bool no_deflate = false;
    std::string sync = "batch";
    std::string sync_interval = "1s";
    std::uint64_t retention_messages = 10'000;
    std::string retention_age = "0";
    std::string log_level = "info";
    std::vector<std::string> api_keys;
    std::string webhook;  // empty: no webhook
    std::string webhook_secret;
    std::size_t webhook_queue = 10'000;
    std::string webhook_timeout = "5s";
    double api_rate = 1000;
    double api_burst = 0;
};

server::ServerConfig to_config(const ServeFlags& f) {
    server::ServerConfig c;
    c.listen = server::parse_host_port(f.listen);
    if (f.telnet_listen == "off") c.telnet_listen.reset();
    else c.telnet_listen = server::parse_host_port(f.telnet_listen);
    c.threads = f.threads;
    c.data_dir = f.data_dir;
    c.web_root = f.web_root;
    c.max_connections = f.max_connections;
    c.api_keys = f.api_keys;
    if (f.api_rate < 0 || f.api_burst < 0) {
        throw std::invalid_argument("--api-rate and --api-burst must not be negative");
    }
    if (f.api_burst > 0 && f.api_burst < 1) {
        throw std::invalid_argument("--api-burst must be at least 1 request (or 0: 2 x --api-rate)");
    }
    c.api_rate = f.api_rate;
    c.api_burst = f.api_burst;
    auto& s = c.session;
    s.max_message_size = server::parse_size(f.max_message_size);
    s.outbox.max_messages = f.send_queue_limit;
    s.outbox.max_bytes = server::parse_size(f.send_queue_bytes);
    s.ping_interval = server::parse_duration(f.ping_interval);
    s.pong_timeout = server::parse_duration(f.pong_timeout);
    s.handshake_timeout = server::parse_duration(f.handshake_timeout);
    s.close_timeout = server::parse_duration(f.close_timeout);
    s.max_line_bytes = server::parse_size(f.max_line);
    s.presence_fanout_limit = f.presence_limit;
    s.permessage_deflate = !f.no_deflate;
    c.history.sync = server::parse_sync_mode(f.sync);
    c.history.sync_interval = server::parse_duration(f.sync_interval);
    c.history.max_messages_per_room = f.retention_messages;
    c.history.max_age = server::parse_duration(f.retention_age);
    c.history.max_read_messages = 10'000;
    if (s.max_message_size == 0) throw std::invalid_argument("--max-message-size must be positive");
    if (s.outbox.max_messages == 0) throw std::invalid_argument("--send-queue-limit must be positive");
    if (s.ping_interval.count() <= 0 || s.pong_timeout.count() <= 0) {
        throw std::invalid_argument("--ping-interval and --pong-timeout must be positive");
    }
    if (!f.webhook.empty()) {
        notify::WebhookConfig& w = c.webhook.emplace();
        w.url = notify::parse_webhook_url(f.webhook);
        w.secret = f.webhook_secret;
        w.queue_limit = f.webhook_queue;
        w.timeout = server::parse_duration(f.webhook_timeout);
        if (w.queue_limit == 0) throw std::invalid_argument("--webhook-queue must be at least 1 event");
        if (w.timeout.count() <= 0) throw std::invalid_argument("--webhook-timeout must be positive");
    }
    log::Level level;
    if (!log::parse_level(f.log_level, level)) {
        throw std::invalid_argument("--log-level must be debug, info, warn, error or off");
    }
    log::set_level(level);
    return c;
}
}  // namespace

Run add_serve_command(CLI::App& app) {
    auto flags = std::make_shared<ServeFlags>();
    CLI::App* cmd = app.add_subcommand("serve", "Run the server: HTTP + WebSocket, telnet chat, chat page");
    cmd->add_option("--listen", flags->listen, "HTTP/WebSocket address HOST:PORT (port 0: any free port)")->capture_default_str();
    cmd->add_option("--telnet-listen", flags->telnet_listen, "telnet chat address HOST:PORT, or 'off'")->capture_default_str();
    cmd->add_option("--threads", flags->threads, "event loops (one per core); 0 = number of cores")->capture_default_str();
    cmd->add_option("--data-dir", flags->data_dir, "directory for durable data (created if missing)")->capture_default_str();
    cmd->add_option("--web-root", flags->web_root, "directory of the chat page's files")->capture_default_str();
    cmd->add_option("--max-message-size", flags->max_message_size, "largest WebSocket message accepted (after inflation); larger: close 1009")->capture_default_str();
    cmd->add_option("--send-queue-limit", flags->send_queue_limit, "messages queued per connection before it is closed as a slow consumer (1013)")->capture_default_str();
    cmd->add_option("--send-queue-bytes", flags->send_queue_bytes, "bytes queued per connection before it is closed as a slow consumer")->capture_default_str();
    cmd->add_option("--ping-interval", flags->ping_interval, "silence after which the server pings a WebSocket peer (e.g. 30s, 500ms)")->capture_default_str();
    cmd->add_option("--pong-timeout", flags->pong_timeout, "time a pinged peer has to answer before it is dropped")->capture_default_str();
    cmd->add_option("--handshake-timeout", flags->handshake_timeout, "time to send a complete HTTP request head (slowloris guard)")->capture_default_str();
    cmd->add_option("--close-timeout", flags->close_timeout, "time to wait for the peer's Close reply")->capture_default_str();
    cmd->add_option("--max-connections", flags->max_connections, "open connections (all listeners) before new ones are refused; 0 = no limit")->capture_default_str();
    cmd->add_option("--max-line", flags->max_line, "longest telnet line")->capture_default_str();
    cmd->add_option("--presence-limit", flags->presence_limit,
                    "send joins/leaves to a room's members only while it has at most this many "
                    "members per loop (the presence/ROOM feed always has them; 0 = never)")
        ->capture_default_str();
    cmd->add_option("--sync", flags->sync, "durability of QoS 1 history: always (fsync before ack), batch (fsync at most every --sync-interval), off")->capture_default_str();
    cmd->add_option("--sync-interval", flags->sync_interval, "batch mode: longest time an acked message stays unsynced")->capture_default_str();
    cmd->add_option("--retention-messages", flags->retention_messages, "stored messages kept per room (0 = unlimited)")->capture_default_str();
    cmd->add_option("--retention-age", flags->retention_age, "stored messages older than this are trimmed (0 = forever)")->capture_default_str();
    cmd->add_option("--api-key", flags->api_keys, "Bearer key accepted by /api (repeatable); without one, /api answers loopback peers only");
    cmd->add_option("--api-rate", flags->api_rate, "/api requests per second per client address before 429 (split across the loops); 0 = no limit")->capture_default_str();
    cmd->add_option("--api-burst", flags->api_burst, "/api requests a client address may send at once on top of --api-rate; 0 = 2 x --api-rate")->capture_default_str();
    CLI::Option* webhook = cmd->add_option("--webhook", flags->webhook, "POST room.occupied, room.vacated and member.left events to this http:// URL (https is not supported yet)");
    cmd->add_option("--webhook-secret", flags->webhook_secret, "sign each webhook body: X-Confab-Signature: sha256=<HMAC-SHA256 hex>")->envname("CONFAB_WEBHOOK_SECRET");
    cmd->add_option("--webhook-queue", flags->webhook_queue, "webhook events kept while the receiver is slow or down; when full, the oldest are dropped")->capture_default_str()->needs(webhook);
    cmd->add_option("--webhook-timeout", flags->webhook_timeout, "time one webhook POST may take (connect, send, answer) before it is retried")->capture_default_str()->needs(webhook);
    cmd->add_flag("--no-deflate", flags->no_deflate, "never negotiate permessage-deflate");
    cmd->add_option("--log-level", flags->log_level, "debug, info, warn, error or off")->capture_default_str();
    return [flags] {
        server::Server server(to_config(*flags));
        return server.run();
    };
}

}  // namespace confab::app
