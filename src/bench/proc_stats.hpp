// Readings from /proc used by the reports: process CPU time and RSS, kernel TCP memory.
// Any thread; each call reads the file afresh. Missing data reads as -1.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace confab::bench {

// utime + stime of process `pid` (all its threads) in seconds; pid 0 means this process.
double process_cpu_seconds(pid_t pid);
// VmRSS of process `pid` in bytes.
std::int64_t process_rss_bytes(pid_t pid);
// Memory charged to TCP sockets system-wide (/proc/net/sockstat "TCP: ... mem N", pages).
std::int64_t tcp_socket_memory_bytes();
// Kernel objects behind sockets, system-wide: active objects x object size of the slab caches
// TCP, sock_inode_cache, filp and eventpoll_epi (/proc/slabinfo; needs root, else -1).
// Idle sockets hold no buffers, so this is their real kernel cost, unlike sockstat "mem".
std::int64_t socket_slab_bytes();
// TCP sockets in use system-wide (/proc/net/sockstat "TCP: inuse N").
std::int64_t tcp_sockets_in_use();

// CPU used by this process and (optionally) the server over an interval, as % of one core.
class CpuMeter {
public:
    explicit CpuMeter(pid_t server_pid) : server_pid_(server_pid) {}
    void start();
    void stop();
    double bench_percent() const;
    double server_percent() const;  // -1 without a server pid

private:
    pid_t server_pid_;
    std::int64_t start_ns_ = 0, stop_ns_ = 0;
    double bench_start_ = 0, bench_stop_ = 0, server_start_ = -1, server_stop_ = -1;
};

}  // namespace confab::bench
