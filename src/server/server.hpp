// Server: the composition root of `confab serve`. Owns the shards (one loop per thread), the
// listeners and the signal handling; wires sessions to connections. Start-up errors throw.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "http/client_rate_limiter.hpp"
#include "http/resources_api.hpp"
#include "http/rooms_api.hpp"
#include "http/static_files.hpp"
#include "net/listener.hpp"
#include "notify/webhook.hpp"
#include "server/config.hpp"
#include "session/history_bridge.hpp"
#include "session/session_context.hpp"
#include "shard/shard.hpp"
#include "store/sqlite_history_store.hpp"
#include "store/sqlite_resource_store.hpp"

namespace confab::server {

class Server {
public:
    explicit Server(ServerConfig config);
    ~Server();

    // Binds, prints the ready line, runs until SIGINT/SIGTERM, shuts down gracefully.
    // Returns the process exit code.
    int run();

private:
    void start_listeners();
    void begin_shutdown();
    void check_drained(std::chrono::steady_clock::time_point deadline);
    std::string ready_line() const;

    // Order matters for destruction: connections (owned by the loops' pending handlers) touch
    // the gauge, and listeners use loop 0's io_context.
    ServerConfig config_;
    http::StaticFiles files_;
    http::RoomsApi api_;
    session::Audience audience_;
    std::atomic<std::uint64_t> next_connection_id_{1};
    net::ConnectionGauge gauge_;
    // Sessions report leaves to it until the loops are gone: it outlives the shards.
    std::unique_ptr<notify::Webhook> webhook_;
    std::vector<std::unique_ptr<shard::Shard>> shards_;
    // The store thread posts into the shards' loops: it is stopped (joined) before they go.
    std::unique_ptr<session::HistoryBridge> bridge_;
    std::unique_ptr<store::SqliteHistoryStore> history_;
    // The resource store's thread submits events to history_ and posts answers into the
    // loops: it is stopped (joined) before either goes.
    std::unique_ptr<http::ResourceBridge> resource_bridge_;
    std::unique_ptr<store::SqliteResourceStore> resources_;
    std::unique_ptr<http::ResourcesApi> resources_api_;
    std::vector<std::unique_ptr<http::ClientRateLimiter>> rate_limiters_;  // one per loop
    std::vector<std::unique_ptr<session::SessionContext>> contexts_;
    std::unique_ptr<net::Listener> http_listener_;
    std::unique_ptr<net::Listener> telnet_listener_;
    std::vector<std::thread> threads_;
    bool shutting_down_ = false;
    std::chrono::steady_clock::time_point shutdown_started_{};
};

}  // namespace confab::server
