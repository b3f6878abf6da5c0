// `confab bench broadcast|echo|idle`: flags → bench::*Options → the scenario's run function.
#include <memory>
#include <stdexcept>
#include <string>

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

struct BenchFlags {
    CommonFlags broadcast_common, echo_common, idle_common, v1_common;
    unsigned v1_window = 16;
    std::size_t v1_size = 64;
    std::string v1_duration = "10s", v1_warmup = "1s";
    std::uint32_t rooms = 1;
    std::uint32_t publishers = 1;
    std::size_t broadcast_size = 64, echo_size = 64;
    std::string rate = "max";
    unsigned broadcast_window = 1, echo_window = 1;
    std::string broadcast_duration = "10s", echo_duration = "10s";
    std::string broadcast_warmup = "1s", echo_warmup = "1s";
    std::string hold = "10s";
};

void add_common(CLI::App* cmd, CommonFlags& f, std::uint32_t default_clients) {
    f.clients = default_clients;
    cmd->add_option("--url", f.url, "server, e.g. ws://127.0.0.1:8080")->required();
    cmd->add_option("--clients", f.clients, "connections to open")->capture_default_str();
    cmd->add_option("--threads", f.threads,
                    "bench worker threads (each owns a share of the connections)")
        ->capture_default_str();
    cmd->add_option("--source-addrs", f.source_addrs,
                    "bind connections round-robin to these local addresses, e.g. "
                    "127.0.0.1-127.0.0.9 (past the ephemeral-port limit)");
    cmd->add_option("--connect-timeout", f.connect_timeout, "time for all connections to open")
        ->capture_default_str();
    cmd->add_option("--server-pid", f.server_pid,
                    "server process to read CPU and memory of (from /proc)");
    cmd->add_flag("--json", f.json, "print one JSON line instead of the table");
}

std::chrono::milliseconds duration(const std::string& flag, const std::string& text) {
    try {
        return server::parse_duration(text);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(flag + ": " + e.what());
    }
}

bench::CommonOptions to_common(const CommonFlags& f) {
    bench::CommonOptions c;
    c.target = bench::parse_ws_url(f.url);
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

}  // namespace

Run add_bench_command(CLI::App& app) {
    auto f = std::make_shared<BenchFlags>();
    CLI::App* bench = app.add_subcommand(
        "bench", "Load generator: broadcast, echo, idle-connection and confab.v1 publish scenarios");
    bench->require_subcommand(1);

    CLI::App* b = bench->add_subcommand(
        "broadcast", "Clients in rooms, some publishing; delivery rate, loss and latency");
    add_common(b, f->broadcast_common, 100);
    b->add_option("--rooms", f->rooms, "rooms (client i joins /ws/rooms/bench-<i % rooms>)")
        ->capture_default_str();
    b->add_option("--publishers", f->publishers, "clients that also publish (clients 0..P-1)")
        ->capture_default_str();
    b->add_option("--size", f->broadcast_size,
                  "message size in bytes (>= 24: id, sequence, timestamp)")
        ->capture_default_str();
    b->add_option("--rate", f->rate,
                  "messages/s over all publishers, or 'max' (limited by --window)")
        ->capture_default_str();
    b->add_option("--window", f->broadcast_window,
                  "max: messages each publisher keeps in flight (until its own copy returns)")
        ->capture_default_str();
    b->add_option("--duration", f->broadcast_duration, "measurement time after warmup")
        ->capture_default_str();
    b->add_option("--warmup", f->broadcast_warmup, "traffic before measuring")
        ->capture_default_str();

    CLI::App* e = bench->add_subcommand("echo", "Round trips on /ws/echo with a window per client");
    add_common(e, f->echo_common, 100);
    e->add_option("--window", f->echo_window, "messages each client keeps in flight")
        ->capture_default_str();
    e->add_option("--size", f->echo_size, "message size in bytes (>= 24)")->capture_default_str();
    e->add_option("--duration", f->echo_duration, "measurement time after warmup")
        ->capture_default_str();
    e->add_option("--warmup", f->echo_warmup, "traffic before measuring")->capture_default_str();

    CLI::App* i =
        bench->add_subcommand("idle", "Hold many idle connections; memory per connection");
    add_common(i, f->idle_common, 1000);
    i->add_option("--hold", f->hold, "how long to hold the connections open")
        ->capture_default_str();

    CLI::App* v = bench->add_subcommand(
        "v1-publish", "confab.v1 QoS 1 publishing on /ws: acked messages per second");
    add_common(v, f->v1_common, 10);
    v->add_option("--window", f->v1_window, "un-acked messages each publisher keeps in flight")
        ->capture_default_str();
    v->add_option("--size", f->v1_size, "bytes of each message's data")->capture_default_str();
    v->add_option("--duration", f->v1_duration, "measurement time after warmup")->capture_default_str();
    v->add_option("--warmup", f->v1_warmup, "traffic before measuring")->capture_default_str();

    return [f, b, e, i, v] {
        if (v->parsed()) {
            bench::V1PublishOptions o{.common = to_common(f->v1_common)};
            o.window = f->v1_window;
            o.size = f->v1_size;
            o.duration = duration("--duration", f->v1_duration);
            o.warmup = duration("--warmup", f->v1_warmup);
            if (o.duration.count() <= 0) throw std::invalid_argument("--duration must be positive");
            return bench::run_v1_publish(o);
        }
        if (b->parsed()) {
            bench::BroadcastOptions o{.common = to_common(f->broadcast_common)};
            o.rooms = f->rooms;
            o.publishers = f->publishers;
            o.size = f->broadcast_size;
            o.rate = parse_rate(f->rate);
            o.window = f->broadcast_window;
            o.duration = duration("--duration", f->broadcast_duration);
            o.warmup = duration("--warmup", f->broadcast_warmup);
            if (o.duration.count() <= 0) throw std::invalid_argument("--duration must be positive");
            return bench::run_broadcast(o);
        }
        if (e->parsed()) {
            bench::EchoOptions o{.common = to_common(f->echo_common)};
            o.window = f->echo_window;
            o.size = f->echo_size;
            o.duration = duration("--duration", f->echo_duration);
            o.warmup = duration("--warmup", f->echo_warmup);
            if (o.duration.count() <= 0) throw std::invalid_argument("--duration must be positive");
            return bench::run_echo(o);
        }
        bench::IdleOptions o{.common = to_common(f->idle_common)};
        o.hold = duration("--hold", f->hold);
        return bench::run_idle(o);
    };
}

}  // namespace confab::app
