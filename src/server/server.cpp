#include "server/server.hpp"

#include <boost/asio/signal_set.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "core/log.hpp"
#include "http/http_session.hpp"
#include "http/responses.hpp"
#include "session/telnet_session.hpp"

namespace confab::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kShutdownGrace = std::chrono::milliseconds(4500);  // the promise is 5 s
// After the loops: the webhook gets this long to deliver the last leaves, within the promise.
constexpr auto kWebhookFlush = std::chrono::milliseconds(2000);
constexpr auto kShutdownPromise = std::chrono::milliseconds(4900);

tcp::endpoint resolve(const HostPort& hp) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(hp.host == "localhost" ? "127.0.0.1" : hp.host, ec);
    if (ec) throw std::invalid_argument("not an IP address: '" + hp.host + "'");
    return {address, hp.port};
}

std::string endpoint_text(const tcp::endpoint& ep) {
    std::string host = ep.address().to_string();
    if (ep.address().is_v6()) host = "[" + host + "]";
    return host + ":" + std::to_string(ep.port());
}

std::chrono::milliseconds tick_period(const session::SessionConfig& c) {
    auto shortest = std::min({c.ping_interval, c.pong_timeout, c.handshake_timeout, c.close_timeout});
    return std::clamp(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
}
}  // namespace

Server::Server(ServerConfig config)
    : config_(std::move(config)),
      files_(http::StaticFiles::load(config_.web_root)),
      api_(http::ApiConfig{config_.api_keys}) {
    unsigned threads = config_.threads ? config_.threads : std::max(1u, std::thread::hardware_concurrency());
    std::filesystem::create_directories(config_.data_dir);
    gauge_.limit = config_.max_connections;
    if (config_.webhook) webhook_ = std::make_unique<notify::Webhook>(*config_.webhook);
    std::vector<shard::Shard*> all;
    for (unsigned i = 0; i < threads; ++i) {
        shards_.push_back(std::make_unique<shard::Shard>(i));
        all.push_back(shards_.back().get());
    }
    for (auto& s : shards_) s->connect(all);
    bridge_ = std::make_unique<session::HistoryBridge>(
        session::BuildContext{config_.session, audience_}, all);
    config_.history.data_dir = config_.data_dir;
    history_ = std::make_unique<store::SqliteHistoryStore>(config_.history, *bridge_);
    resource_bridge_ = std::make_unique<http::ResourceBridge>(*history_);
    store::ResourceStoreConfig resource_config;
    resource_config.data_dir = config_.data_dir;
    resource_config.sync = config_.history.sync;
    resource_config.sync_interval = config_.history.sync_interval;
    // A document may be as large as a request body, and no larger after a PATCH.
    resource_config.max_document_bytes = config_.session.max_request_body;
    resources_ = std::make_unique<store::SqliteResourceStore>(resource_config, *resource_bridge_);
    resources_api_ = std::make_unique<http::ResourcesApi>(http::ApiConfig{config_.api_keys}, *resources_);
    const http::RateLimit api_limit = http::per_loop_share(config_.api_rate, config_.api_burst, threads);
    for (auto& s : shards_) {
        rate_limiters_.push_back(std::make_unique<http::ClientRateLimiter>(api_limit));
        contexts_.push_back(std::make_unique<session::SessionContext>(
            session::SessionContext{config_.session, *s, audience_, gauge_, *history_}));
        contexts_.back()->webhook = webhook_.get();
    }
    start_listeners();
}

Server::~Server() = default;

void Server::start_listeners() {
    std::vector<net::EventLoop*> loops;
    for (auto& s : shards_) loops.push_back(&s->loop());
    net::EventLoop& accept_loop = shards_[0]->loop();

    auto on_http = [this](net::EventLoop& loop, net::UniqueFd socket) {
        auto& ctx = *contexts_[loop.index()];
        auto conn = std::make_shared<net::Connection>(loop, std::move(socket), config_.session.outbox,
                                                      next_connection_id_++, &gauge_);
        conn->start(std::make_unique<http::HttpSession>(*conn, ctx, files_, api_, *resources_api_,
                                                        *rate_limiters_[loop.index()]));
    };
    std::string busy_http = std::string(http::make_problem(503, "connection limit reached", http::KeepAlive::No)->view());
    http_listener_ = std::make_unique<net::Listener>(accept_loop, loops, resolve(config_.listen), on_http,
                                                     gauge_, busy_http);
    if (config_.telnet_listen) {
        auto on_telnet = [this](net::EventLoop& loop, net::UniqueFd socket) {
            auto& ctx = *contexts_[loop.index()];
            // Telnet has no ping: let the kernel find half-open peers (~90 s, not 2 hours).
            const auto set = [fd = socket.get()](int level, int name, int value) {
                ::setsockopt(fd, level, name, &value, sizeof value);
            };
            set(SOL_SOCKET, SO_KEEPALIVE, 1);
            set(IPPROTO_TCP, TCP_KEEPIDLE, 60);
            set(IPPROTO_TCP, TCP_KEEPINTVL, 10);
            set(IPPROTO_TCP, TCP_KEEPCNT, 3);
            auto conn = std::make_shared<net::Connection>(loop, std::move(socket), config_.session.outbox,
                                                          next_connection_id_++, &gauge_);
            conn->start(std::make_unique<session::TelnetSession>(*conn, ctx));
        };
        telnet_listener_ = std::make_unique<net::Listener>(accept_loop, loops, resolve(*config_.telnet_listen),
                                                           on_telnet, gauge_, "* server full, try again later\r\n");
    }
}

std::string Server::ready_line() const {
    std::string telnet = telnet_listener_ ? endpoint_text(telnet_listener_->local_endpoint()) : "off";
    return "confab ready http=" + endpoint_text(http_listener_->local_endpoint()) + " telnet=" + telnet;
}

int Server::run() {
    net::EventLoop& main_loop = shards_[0]->loop();
    asio::signal_set signals(main_loop.io(), SIGINT, SIGTERM);
    signals.async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;
        log::info("signal {}: shutting down", signo);
        begin_shutdown();
    });
    auto period = tick_period(config_.session);
    for (auto& s : shards_) {
        s->loop().post([&loop = s->loop(), period] { loop.start_ticks(period); });
    }
    http_listener_->start();
    if (telnet_listener_) telnet_listener_->start();

    auto http_ep = http_listener_->local_endpoint();
    log::info("confab serving {} loop(s); chat page: http://{}/", shards_.size(), endpoint_text(http_ep));
    if (telnet_listener_) log::info("telnet chat: nc {} {}", telnet_listener_->local_endpoint().address().to_string(), telnet_listener_->local_endpoint().port());
    std::printf("%s\n", ready_line().c_str());
    std::fflush(stdout);

    for (std::size_t i = 1; i < shards_.size(); ++i) {
        threads_.emplace_back([s = shards_[i].get()] { s->loop().run(); });
    }
    main_loop.run();
    for (std::size_t i = 1; i < shards_.size(); ++i) shards_[i]->loop().stop();
    for (auto& t : threads_) t.join();
    if (webhook_) {
        // Every leave of the shutdown is queued by now; deliver what fits in the promise.
        auto left = kShutdownPromise - std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - shutdown_started_);
        webhook_->stop(std::clamp(left, std::chrono::milliseconds(0), kWebhookFlush));
    }
    log::info("bye");
    return 0;
}

void Server::begin_shutdown() {
    if (shutting_down_) return;
    shutting_down_ = true;
    shutdown_started_ = std::chrono::steady_clock::now();
    http_listener_->stop();
    if (telnet_listener_) telnet_listener_->stop();
    for (auto& s : shards_) {
        s->loop().post([&loop = s->loop()] {
            loop.for_each_connection([](net::Connection& c) { c.shutdown(); });
        });
    }
    check_drained(std::chrono::steady_clock::now() + kShutdownGrace);
}

void Server::check_drained(std::chrono::steady_clock::time_point deadline) {
    if (gauge_.open.load() <= 0 || std::chrono::steady_clock::now() >= deadline) {
        if (gauge_.open.load() > 0) log::warn("{} connection(s) still open at the deadline: closing them", gauge_.open.load());
        resources_->stop();  // first: its last changes still submit events to the history
        history_->stop();    // commits what is queued and makes it durable
        for (auto& s : shards_) s->loop().stop();
        return;
    }
    auto timer = std::make_shared<asio::steady_timer>(shards_[0]->loop().io(), std::chrono::milliseconds(20));
    timer->async_wait([this, timer, deadline](boost::system::error_code) { check_drained(deadline); });
}

}  // namespace confab::server
