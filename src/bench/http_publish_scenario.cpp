// `confab bench http-publish`: N keep-alive connections, each keeping W publish requests
// pipelined, on one epoll thread. Measures answered requests per second and request latency
// (sent to answered), and counts the answers by status: 202 (QoS 0), 201 / 200 (QoS 1 stored
// / duplicate), anything else (429, 503, ...).
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

#include "bench/http_publish_conn.hpp"
#include "bench/payload.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "bench/scenarios.hpp"
#include "bench/ws_client_conn.hpp"

namespace confab::bench {
namespace {

struct Tally {
    std::uint64_t sent_in_window = 0;
    std::uint64_t answered_of_window = 0;    // sent in the window, answered whenever
    std::uint64_t answered_in_window = 0;    // answers that arrived inside the window
    std::map<int, std::uint64_t> by_status;  // every answer of the run
    std::uint64_t broken = 0;                // connections the server closed or that failed
    std::uint64_t lost = 0;                  // requests in flight on them
    std::string first_error;
};

class EpollFd {
public:
    EpollFd() : fd_(epoll_create1(EPOLL_CLOEXEC)) {
        if (fd_ < 0)
            throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    }
    ~EpollFd() { ::close(fd_); }
    int get() const { return fd_; }

private:
    int fd_;
};

// The JSON body of request n on connection c (docs/http-api.md): QoS 1 requests carry an id
// unique to this run, so that none is answered as a duplicate.
HttpPublishConn::BodyOf body_maker(const HttpPublishOptions& o, std::size_t c, std::int64_t run) {
    std::string data = make_payload(o.size).substr(0, o.size);
    for (char& ch : data) {
        if (ch == '\0') ch = 'x';  // the binary header's room: JSON text needs none of it
    }
    return [&o, c, run, data = std::move(data)](std::uint64_t n) {
        std::string body = R"({"data":")" + data + R"(","qos":)" + std::to_string(o.qos);
        if (o.qos == 1) {
            body += R"(,"id":"b)" + std::to_string(run) + "-" + std::to_string(c) + "-" +
                    std::to_string(n) + "\"";
        }
        return body + "}";
    };
}

// The run on this thread: warm-up, measured window (with CPU readings), then up to
// kDrainGrace for the answers still owed.
class PublishLoop {
public:
    PublishLoop(const HttpPublishOptions& o, std::vector<std::unique_ptr<HttpPublishConn>>& conns,
                int epoll_fd)
        : o_(o),
          conns_(conns),
          epoll_fd_(epoll_fd),
          window_start_(monotonic_ns() + std::chrono::nanoseconds(o.warmup).count()),
          window_end_(window_start_ + std::chrono::nanoseconds(o.duration).count()),
          cpu_(o.common.server_pid),
          latency_(std::make_unique<Histogram>()) {}

    void run() {
        const std::int64_t drain_end = window_end_ + std::chrono::nanoseconds(kDrainGrace).count();
        const HttpPublishConn::OnResponse on_response =
            [this](const HttpResponse& r, std::int64_t sent) { answered(r, sent); };
        std::array<epoll_event, 64> events;
        for (;;) {
            now_ = monotonic_ns();
            read_cpu();
            const std::size_t in_flight = top_up();
            if (now_ >= window_end_ && (in_flight == 0 || now_ >= drain_end)) break;
            const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), 1);
            now_ = monotonic_ns();
            for (int i = 0; i < n; ++i) {
                auto* conn = static_cast<HttpPublishConn*>(events[i].data.ptr);
                const std::string error = conn->on_io(events[i].events, on_response);
                if (!error.empty()) broke(*conn, error);
            }
        }
    }

    const Tally& tally() const { return t_; }
    const Histogram& latency() const { return *latency_; }
    const CpuMeter& cpu() const { return cpu_; }

private:
    bool in_window(std::int64_t at) const { return at >= window_start_ && at < window_end_; }

    void read_cpu() {
        if (!cpu_started_ && now_ >= window_start_) {
            cpu_.start();
            cpu_started_ = true;
        }
        if (!cpu_stopped_ && now_ >= window_end_) {
            cpu_.stop();
            cpu_stopped_ = true;
        }
    }

    // Until the window ends, refills every connection's pipeline; returns what is in flight.
    std::size_t top_up() {
        std::size_t in_flight = 0;
        for (auto& conn : conns_) {
            if (now_ < window_end_) {
                const std::size_t before = conn->in_flight();
                conn->top_up(o_.window, now_);
                if (in_window(now_)) t_.sent_in_window += conn->in_flight() - before;
            }
            in_flight += conn->open() ? conn->in_flight() : 0;
        }
        return in_flight;
    }

    void answered(const HttpResponse& r, std::int64_t sent) {
        ++t_.by_status[r.status];
        if (in_window(now_)) ++t_.answered_in_window;
        if (!in_window(sent)) return;
        ++t_.answered_of_window;
        latency_->record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, now_ - sent)));
    }

    void broke(const HttpPublishConn& conn, const std::string& error) {
        ++t_.broken;
        t_.lost += conn.in_flight();
        if (t_.first_error.empty()) t_.first_error = error;
    }

    const HttpPublishOptions& o_;
    std::vector<std::unique_ptr<HttpPublishConn>>& conns_;
    int epoll_fd_;
    std::int64_t window_start_;
    std::int64_t window_end_;
    std::int64_t now_ = 0;
    CpuMeter cpu_;
    bool cpu_started_ = false;
    bool cpu_stopped_ = false;
    Tally t_;
    std::unique_ptr<Histogram> latency_;
};

Report make_report(const HttpPublishOptions& o, const Tally& t, const Histogram& latency,
                   double connect_ms, const CpuMeter& cpu) {
    const double seconds = static_cast<double>(o.duration.count()) / 1000.0;
    Report r("http-publish");
    r.section("setup");
    r.add_text("url", "url", o.common.url);
    r.add_text("room", "room", o.room);
    r.add("clients", "keep-alive connections", o.common.clients);
    r.add("window", "pipelined per connection", o.window);
    r.add("qos", "QoS", o.qos);
    r.add("size", "data size", static_cast<double>(o.size), "B");
    r.add("duration_s", "measured", seconds, "s", 1);
    r.add("connect_ms", "connect (all)", connect_ms, "ms", 1);
    r.section("throughput (measurement window)");
    r.add("requests_per_s", "answered requests",
          static_cast<double>(t.answered_in_window) / seconds, "/s");
    r.add("sent", "sent in window", static_cast<double>(t.sent_in_window));
    r.add("unanswered", "never answered",
          static_cast<double>(t.sent_in_window - t.answered_of_window));
    r.section("answers by status (whole run)");
    for (const auto& [status, n] : t.by_status) {
        // "status_201", not "status.201": a numeric JSON pointer token would make an array.
        r.add("status_" + std::to_string(status), std::to_string(status), static_cast<double>(n));
    }
    r.add("broken", "connections broken", static_cast<double>(t.broken));
    r.add("lost", "requests in flight on them", static_cast<double>(t.lost));
    if (!t.first_error.empty()) r.add_text("first_error", "first error", t.first_error);
    r.section("latency, request to answer (ms)");
    r.add_latency("latency_ms", latency);
    r.add_cpu(cpu.bench_percent(), cpu.server_percent());
    return r;
}

}  // namespace

int run_http_publish(const HttpPublishOptions& o) {
    if (o.window == 0 || o.window > 1024) throw std::invalid_argument("--window must be 1-1024");
    if (o.qos != 0 && o.qos != 1) throw std::invalid_argument("--qos must be 0 or 1");
    const CommonOptions& c = o.common;
    EpollFd epoll;
    const std::string path = "/api/rooms/" + o.room + "/messages";
    const std::int64_t run_tag = monotonic_ns();
    std::vector<std::unique_ptr<HttpPublishConn>> conns;
    const std::int64_t connect_start = monotonic_ns();
    for (std::size_t i = 0; i < c.clients; ++i) {
        conns.push_back(
            std::make_unique<HttpPublishConn>(c.target, path, body_maker(o, i, run_tag)));
        if (auto error = conns.back()->connect(epoll.get()); !error.empty()) {
            throw std::runtime_error("connection " + std::to_string(i) + ": " + error);
        }
    }
    const double connect_ms = static_cast<double>(monotonic_ns() - connect_start) / 1e6;
    PublishLoop loop(o, conns, epoll.get());
    loop.run();
    return make_report(o, loop.tally(), loop.latency(), connect_ms, loop.cpu())
        .print_result(c.json, loop.tally().answered_in_window > 0, "no request was answered");
}

}  // namespace confab::bench
