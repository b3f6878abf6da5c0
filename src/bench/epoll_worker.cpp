#include "bench/epoll_worker.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "ws/close_code.hpp"

namespace confab::bench {
namespace {
// Big enough that one recv usually drains a busy socket (~4,000 small frames).
constexpr std::size_t kScratchBytes = 256 * 1024;
constexpr int kMaxWaitMs = 20;  // bounds how late a worker notices a phase change
}  // namespace

void RunControl::fail(std::string message) {
    std::lock_guard lock(mutex_);
    if (failed_.load(std::memory_order_relaxed)) return;
    error_ = std::move(message);
    failed_.store(true, std::memory_order_release);
}

std::string RunControl::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

void CloseStats::merge(const CloseStats& other) {
    for (auto [code, n] : other.by_code) by_code[code] += n;
    protocol_errors += other.protocol_errors;
    if (first_reason.empty()) first_reason = other.first_reason;
}

std::uint64_t CloseStats::total() const {
    std::uint64_t n = protocol_errors;
    for (auto [code, count] : by_code) n += count;
    return n;
}

EpollWorker::EpollWorker(const Target& target, std::vector<ConnSpec> specs, RunControl& control,
                         unsigned max_pending_connects, ReadyWhen ready_when)
    : target_(target),
      specs_(std::move(specs)),
      control_(control),
      ready_when_(ready_when),
      max_pending_(std::max(1u, max_pending_connects)),
      scratch_(kScratchBytes) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0)
        throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    conns_.reserve(specs_.size());
    for (std::size_t slot = 0; slot < specs_.size(); ++slot) {
        conns_.push_back(std::make_unique<ClientConn>(
            specs_[slot].id, static_cast<std::uint32_t>(slot), specs_[slot].path, *this));
    }
}

EpollWorker::~EpollWorker() {
    conns_.clear();  // closes sockets before the epoll instance
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

void EpollWorker::run() {
    std::array<epoll_event, 512> events;
    int wait_ms = 0;
    for (;;) {
        const Phase phase = control_.phase.load(std::memory_order_acquire);
        if (phase == Phase::Stop) break;
        if (phase == Phase::Connect && !control_.failed()) start_connects();
        const int n =
            epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
        if (n < 0 && errno != EINTR) {
            control_.fail(std::string("epoll_wait: ") + std::strerror(errno));
            break;
        }
        const std::span<std::uint8_t> scratch(scratch_);
        for (int i = 0; i < n; ++i) {
            static_cast<ClientConn*>(events[i].data.ptr)->on_io(events[i].events, scratch);
        }
        wait_ms = std::clamp(hooks_->on_turn(phase, monotonic_ns()), 0, kMaxWaitMs);
        flush_dirty();
    }
    close_all();
}

void EpollWorker::start_connects() {
    while (next_connect_ < specs_.size() && pending_ < max_pending_) {
        const std::size_t slot = next_connect_++;
        ++pending_;  // before connect(): a failure reports on_closed synchronously
        conns_[slot]->connect(target_, specs_[slot].source, epoll_fd_);
    }
}

void EpollWorker::connect_now(std::size_t slot) {
    ClientConn& conn = *conns_[slot];
    if (conn.state() != ClientConn::State::Closed && conn.state() != ClientConn::State::Idle)
        return;
    ++pending_;
    conn.connect(target_, specs_[slot].source, epoll_fd_);
}

void EpollWorker::flush_dirty() {
    // flush() cannot queue more bytes, so dirty_ does not grow while we walk it.
    for (ClientConn* c : dirty_) c->flush();
    dirty_.clear();
}

void EpollWorker::close_all() {
    for (auto& c : conns_) c->close(ws::close_code::kNormal, "bench done");
    dirty_.clear();
}

void EpollWorker::on_open(ClientConn& conn) {
    --pending_;
    control_.connected.fetch_add(1, std::memory_order_relaxed);
    if (ready_when_ == ReadyWhen::Open) control_.mark_ready();
    hooks_->on_open(conn);
}

void EpollWorker::on_message(ClientConn& conn, std::string_view payload, std::int64_t now_ns) {
    hooks_->on_message(conn, payload, now_ns);
}

void EpollWorker::on_closed(ClientConn& conn, const CloseInfo& info) {
    if (!info.was_open) {
        --pending_;
        // A reconnect that failed is the scenario's business (it retries); a first connect
        // that failed ends the run.
        if (control_.phase.load(std::memory_order_relaxed) != Phase::Connect) {
            return hooks_->on_closed(conn, info);
        }
        const ConnSpec& spec = specs_[conn.slot()];
        std::string msg =
            "connection " + std::to_string(spec.id) + " (GET " + spec.path + "): " + info.reason;
        if (info.reason.starts_with("connect: Cannot assign requested address")) {
            msg += " (out of ephemeral ports? spread connections with --source-addrs)";
        }
        control_.fail(std::move(msg));
    } else if (control_.phase.load(std::memory_order_relaxed) != Phase::Stop) {
        if (info.by_us)
            ++closes_.protocol_errors;
        else
            ++closes_.by_code[info.code];
        if (closes_.first_reason.empty()) {
            closes_.first_reason = std::to_string(info.code) + " " + info.reason;
        }
    }
    hooks_->on_closed(conn, info);
}

}  // namespace confab::bench
