#include "bench/proc_stats.hpp"

#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace confab::bench {
namespace {

std::string proc_path(pid_t pid, const char* file) {
    return (pid == 0 ? std::string("/proc/self/") : "/proc/" + std::to_string(pid) + "/") + file;
}

// The value after `key` on the "TCP:" line of /proc/net/sockstat.
std::int64_t sockstat_tcp(const std::string& key) {
    std::ifstream in("/proc/net/sockstat");
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with("TCP:")) continue;
        std::istringstream words(line.substr(4));
        std::string word;
        std::int64_t value = 0;
        while (words >> word >> value) {
            if (word == key) return value;
        }
    }
    return -1;
}

}  // namespace

double process_cpu_seconds(pid_t pid) {
    std::ifstream in(proc_path(pid, "stat"));
    std::string stat;
    if (!std::getline(in, stat)) return -1;
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return -1;
    std::istringstream fields(stat.substr(paren + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
    long long utime = 0, stime = 0;               // fields 14 and 15, in clock ticks
    if (!(fields >> utime >> stime)) return -1;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::int64_t process_rss_bytes(pid_t pid) {
    std::ifstream in(proc_path(pid, "status"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) {
            std::istringstream value(line.substr(6));
            std::int64_t kib = 0;
            if (value >> kib) return kib * 1024;
        }
    }
    return -1;
}

std::int64_t tcp_socket_memory_bytes() {
    const std::int64_t pages = sockstat_tcp("mem");
    return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

std::int64_t socket_slab_bytes() {
    std::ifstream in("/proc/slabinfo");
    std::string line;
    std::int64_t total = 0;
    bool any = false;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        std::int64_t active = 0, objects = 0, size = 0;
        if (!(fields >> name >> active >> objects >> size)) continue;
        if (name == "TCP" || name == "sock_inode_cache" || name == "filp" ||
            name == "eventpoll_epi") {
            total += active * size;
            any = true;
        }
    }
    return any ? total : -1;
}

std::int64_t tcp_sockets_in_use() {
    return sockstat_tcp("inuse");
}

namespace {
std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
double percent(double cpu_seconds, std::int64_t wall_ns) {
    return wall_ns <= 0 ? 0.0 : 100.0 * cpu_seconds * 1e9 / static_cast<double>(wall_ns);
}
}  // namespace

void CpuMeter::start() {
    start_ns_ = now_ns();
    bench_start_ = process_cpu_seconds(0);
    if (server_pid_ > 0) server_start_ = process_cpu_seconds(server_pid_);
}

void CpuMeter::stop() {
    stop_ns_ = now_ns();
    bench_stop_ = process_cpu_seconds(0);
    if (server_pid_ > 0) server_stop_ = process_cpu_seconds(server_pid_);
}

double CpuMeter::bench_percent() const {
    return percent(bench_stop_ - bench_start_, stop_ns_ - start_ns_);
}

double CpuMeter::server_percent() const {
    if (server_start_ < 0 || server_stop_ < 0) return -1;
    return percent(server_stop_ - server_start_, stop_ns_ - start_ns_);
}

}  // namespace confab::bench
