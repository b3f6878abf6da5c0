// `confab bench broadcast|echo|idle|v1-publish|storm|http-publish`: flags →
// bench::*Options → the scenario's run function. One add_* function per scenario.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "app/commands.hpp"
#include "bench/scenarios.hpp"
#include "bench/target.hpp"
#include "server/config.hpp"

namespace confab::app {

namespace {

struct CommonFlags {
    std::string url;
    std::uint32_t clients = 1;
    unsigned threads = 1;
    std::string source_addrs;
    std::string connect_timeout = "30s";
    pid_t server_pid = 0;
    bool json = false;
};

// Warm-up and measured time, for every scenario with a measurement window.
struct WindowFlags {
    std::string duration = "10s";
    std::string warmup = "1s";
};

// The flags of scenarios where each connection keeps messages in flight: echo, v1-publish,
// http-publish.
struct InFlightFlags {
    CommonFlags common;
    WindowFlags window;
    unsigned in_flight;
    std::size_t size = 64;
};

// A scenario's subcommand and what runs it once its flags are parsed.
using Scenario = std::pair<CLI::App*, Run>;

void add_common(CLI::App* cmd, CommonFlags& f, std::uint32_t default_clients,
                std::string_view scheme = "ws") {
    f.clients = default_clients;
    cmd->add_option("--url", f.url, "server, e.g. " + std::string(scheme) + "://127.0.0.1:8080")
        ->required();
    // HTTP load is counted in keep-alive connections; --clients stays valid for every scenario.
    const bool http = scheme == "http";
    cmd->add_option(http ? "--connections,--clients" : "--clients", f.clients,
                    "connections to open")
        ->capture_default_str();
    if (!http) {  // http-publish runs its connections on one thread, without binding
        cmd->add_option("--threads", f.threads,
                        "bench worker threads (each owns a share of the connections)")
            ->capture_default_str();
        cmd->add_option("--source-addrs", f.source_addrs,
                        "bind connections round-robin to these local addresses, e.g. "
                        "127.0.0.1-127.0.0.9 (past the ephemeral-port limit)");
    }
    cmd->add_option("--connect-timeout", f.connect_timeout, "time for all connections to open")
        ->capture_default_str();
    cmd->add_option("--server-pid", f.server_pid,
                    "server process to read CPU and memory of (from /proc)");
    cmd->add_flag("--json", f.json, "print one JSON line instead of the table");
}

void add_window(CLI::App* cmd, WindowFlags& f) {
    cmd->add_option("--duration", f.duration, "measurement time after warmup")
        ->capture_default_str();
    cmd->add_option("--warmup", f.warmup, "traffic before measuring")->capture_default_str();
}

std::chrono::milliseconds duration(const std::string& flag, const std::string& text) {
    try {
        return server::parse_duration(text);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(flag + ": " + e.what());
    }
}

// Fills `o.duration` and `o.warmup` of any scenario's options.
template <class Options>
void apply_window(const WindowFlags& f, Options& o) {
    o.duration = duration("--duration", f.duration);
    o.warmup = duration("--warmup", f.warmup);
    if (o.duration.count() <= 0) throw std::invalid_argument("--duration must be positive");
}

bench::CommonOptions to_common(const CommonFlags& f, bool http = false) {
    bench::CommonOptions c;
    c.target = http ? bench::parse_http_url(f.url) : bench::parse_ws_url(f.url);
    c.url = f.url;
    if (f.clients == 0) throw std::invalid_argument("--clients must be positive");
    c.clients = f.clients;
    c.threads = std::max(1u, f.threads);
    c.source_addrs = bench::parse_source_addrs(f.source_addrs);
    c.connect_timeout = duration("--connect-timeout", f.connect_timeout);
    c.server_pid = f.server_pid;
    c.json = f.json;
    const unsigned long fds = bench::raise_fd_limit();
    if (fds != 0 && f.clients + 64 > fds) {
        throw std::invalid_argument("--clients " + std::to_string(f.clients) +
                                    " exceeds the open-file limit (" + std::to_string(fds) + ")");
    }
    return c;
}

double parse_rate(const std::string& text) {
    if (text == "max") return 0;
    std::size_t used = 0;
    double rate = 0;
    try {
        rate = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !(rate > 0)) {
        throw std::invalid_argument("--rate must be messages per second (> 0) or 'max'");
    }
    return rate;
}

void add_in_flight(CLI::App* cmd, InFlightFlags& f, std::uint32_t default_clients,
                   const std::string& window_help, const std::string& size_help,
                   std::string_view scheme = "ws") {
    add_common(cmd, f.common, default_clients, scheme);
    cmd->add_option("--window", f.in_flight, window_help)->capture_default_str();
    cmd->add_option("--size", f.size, size_help)->capture_default_str();
    add_window(cmd, f.window);
}

// Fills the window, size and timing of echo, v1-publish or http-publish options.
template <class Options>
void apply_in_flight(const InFlightFlags& f, Options& o) {
    o.window = f.in_flight;
    o.size = f.size;
    apply_window(f.window, o);
}

CLI::Option* add_qos(CLI::App* cmd, int& qos, const std::string& what) {
    return cmd->add_option("--qos", qos, what)->check(CLI::Range(0, 1))->capture_default_str();
}

Scenario add_broadcast(CLI::App* bench) {
    struct Flags {
        CommonFlags common;
        WindowFlags window;
        std::string protocol = "plain";
        int qos = 0;
        std::uint32_t rooms = 1;
        std::uint32_t publishers = 1;
        std::size_t size = 64;
        std::string rate = "max";
        unsigned in_flight = 1;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* b = bench->add_subcommand(
        "broadcast", "Clients in rooms, some publishing; delivery rate, loss and latency");
    add_common(b, f->common, 100);
    b->add_option("--protocol", f->protocol,
                  "plain: /ws/rooms/bench-<room>; v1: confab.v1 on /ws (hello, join, pub, msg)")
        ->check(CLI::IsMember({"plain", "v1"}))
        ->capture_default_str();
    add_qos(b, f->qos, "confab.v1: 0 (fan-out only) or 1 (stored, with ids and acks)");
    b->add_option("--rooms", f->rooms, "rooms (client i joins bench-<i % rooms>)")
        ->capture_default_str();
    b->add_option("--publishers", f->publishers, "clients that also publish (clients 0..P-1)")
        ->capture_default_str();
    b->add_option("--size", f->size,
                  "message size in bytes (>= 24: id, sequence, timestamp); v1: bytes of the "
                  "data string (>= 40)")
        ->capture_default_str();
    b->add_option("--rate", f->rate,
                  "messages/s over all publishers, or 'max' (limited by --window)")
        ->capture_default_str();
    b->add_option("--window", f->in_flight,
                  "max: messages each publisher keeps in flight (until its own copy returns)")
        ->capture_default_str();
    add_window(b, f->window);
    return {b, [f] {
                bench::BroadcastOptions o{.common = to_common(f->common)};
                o.protocol = f->protocol == "v1" ? bench::Protocol::V1 : bench::Protocol::Plain;
                o.qos = f->qos;
                o.rooms = f->rooms;
                o.publishers = f->publishers;
                o.size = f->size;
                o.rate = parse_rate(f->rate);
                o.window = f->in_flight;
                apply_window(f->window, o);
                return bench::run_broadcast(o);
            }};
}

Scenario add_echo(CLI::App* bench) {
    auto f = std::make_shared<InFlightFlags>(InFlightFlags{.in_flight = 1});
    CLI::App* e = bench->add_subcommand("echo", "Round trips on /ws/echo with a window per client");
    add_in_flight(e, *f, 100, "messages each client keeps in flight",
                  "message size in bytes (>= 24)");
    return {e, [f] {
                bench::EchoOptions o{.common = to_common(f->common)};
                apply_in_flight(*f, o);
                return bench::run_echo(o);
            }};
}

Scenario add_idle(CLI::App* bench) {
    struct Flags {
        CommonFlags common;
        std::string hold = "10s";
    };
    auto f = std::make_shared<Flags>();
    CLI::App* i =
        bench->add_subcommand("idle", "Hold many idle connections; memory per connection");
    add_common(i, f->common, 1000);
    i->add_option("--hold", f->hold, "how long to hold the connections open")
        ->capture_default_str();
    return {i, [f] {
                bench::IdleOptions o{.common = to_common(f->common)};
                o.hold = duration("--hold", f->hold);
                return bench::run_idle(o);
            }};
}

Scenario add_v1_publish(CLI::App* bench) {
    auto f = std::make_shared<InFlightFlags>(InFlightFlags{.in_flight = 16});
    CLI::App* v = bench->add_subcommand(
        "v1-publish", "confab.v1 QoS 1 publishing on /ws: acked messages per second");
    add_in_flight(v, *f, 10, "un-acked messages each publisher keeps in flight",
                  "bytes of each message's data");
    return {v, [f] {
                bench::V1PublishOptions o{.common = to_common(f->common)};
                apply_in_flight(*f, o);
                return bench::run_v1_publish(o);
            }};
}

Scenario add_storm(CLI::App* bench) {
    struct Flags {
        CommonFlags common;
        std::string room = "storm";
        std::uint32_t rooms = 1;
        std::uint64_t before = 100;
        std::uint64_t after = 0;
        unsigned in_flight = 64;
        std::string jitter = "0";
        std::string outage_timeout = "120s";
        std::string resume_timeout = "60s";
        std::string ready_file;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* s = bench->add_subcommand(
        "storm",
        "Reconnect storm: clients resume (since + epoch) after the server is restarted from "
        "outside; outage and resume times, loss of acked messages");
    add_common(s, f->common, 1000);
    s->add_option("--room", f->room, "the room every client joins")->capture_default_str();
    s->add_option("--rooms", f->rooms,
                  "spread the clients over ROOM-0..ROOM-<N-1> (smaller presence fan-out per join)")
        ->capture_default_str();
    s->add_option("--since-messages", f->before,
                  "QoS 1 messages per room the publisher has acked (and every client received) "
                  "before the restart")
        ->capture_default_str();
    s->add_option("--after-messages", f->after,
                  "QoS 1 messages per room published as soon as the server is back (late "
                  "clients get them by resuming)")
        ->capture_default_str();
    s->add_option("--window", f->in_flight, "the publisher's un-acked messages")
        ->capture_default_str();
    s->add_option("--jitter", f->jitter,
                  "each client reconnects a random 0..JITTER after the server accepts again")
        ->capture_default_str();
    s->add_option("--ready-file", f->ready_file,
                  "created (holding the number of acked messages) when the bench is ready for the "
                  "restart");
    s->add_option("--outage-timeout", f->outage_timeout,
                  "time for the server to go away, and again to come back")
        ->capture_default_str();
    s->add_option("--resume-timeout", f->resume_timeout,
                  "time for every client to resume once the server is back")
        ->capture_default_str();
    return {s, [f] {
                bench::StormOptions o{.common = to_common(f->common)};
                if (f->common.clients + 65 > bench::raise_fd_limit()) {
                    throw std::invalid_argument("--clients: the publisher needs one more fd");
                }
                o.room = f->room;
                o.rooms = f->rooms;
                o.messages_before = f->before;
                o.messages_after = f->after;
                o.window = f->in_flight;
                o.jitter = duration("--jitter", f->jitter);
                o.outage_timeout = duration("--outage-timeout", f->outage_timeout);
                o.resume_timeout = duration("--resume-timeout", f->resume_timeout);
                o.ready_file = f->ready_file;
                return bench::run_storm(o);
            }};
}

Scenario add_http_publish(CLI::App* bench) {
    struct Flags {
        InFlightFlags pipeline{.in_flight = 1};
        std::string room = "bench-http";
        int qos = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* h = bench->add_subcommand(
        "http-publish",
        "POST /api/rooms/{room}/messages over keep-alive connections, pipelined; requests/s");
    add_in_flight(h, f->pipeline, 10, "requests each connection keeps pipelined",
                  "bytes of each message's data string", "http");
    h->add_option("--room", f->room, "the room to publish into")->capture_default_str();
    add_qos(h, f->qos, "0: 202, fan-out only; 1: stored (201), with a unique id per request");
    return {h, [f] {
                bench::HttpPublishOptions o{.common = to_common(f->pipeline.common, /*http=*/true)};
                apply_in_flight(f->pipeline, o);
                o.room = f->room;
                o.qos = f->qos;
                return bench::run_http_publish(o);
            }};
}

}  // namespace

Run add_bench_command(CLI::App& app) {
    CLI::App* bench = app.add_subcommand(
        "bench",
        "Load generator: broadcast, echo, idle, confab.v1 publish, reconnect storm and HTTP "
        "publish scenarios");
    bench->require_subcommand(1);
    auto scenarios = std::make_shared<std::vector<Scenario>>(
        std::vector<Scenario>{add_broadcast(bench), add_echo(bench), add_idle(bench),
                              add_v1_publish(bench), add_storm(bench), add_http_publish(bench)});
    return [scenarios] {
        for (const auto& [cmd, run] : *scenarios) {
            if (cmd->parsed()) return run();
        }
        throw std::logic_error("confab bench: no scenario was parsed");
    };
}

}  // namespace confab::app
