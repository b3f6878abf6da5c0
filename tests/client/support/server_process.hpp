// The real `confab serve` binary for the client's integration tests: started on 127.0.0.1
// with telnet off and a temp data dir that outlives the process, so it can be stopped and
// started again on the same port with the same history (a restart). Test thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace confab::testing {

// Deadlines in tests are multiplied by CONFAB_TEST_TIME_SCALE (sanitizer builds are slower).
std::chrono::milliseconds scaled(std::chrono::milliseconds d);

class ServerProcess {
public:
    ServerProcess();   // makes the temp dir; does not start
    ~ServerProcess();  // stops (SIGKILL if need be) and removes the temp dir
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Starts on `port` (0: any; later starts reuse the first port). Throws when no ready
    // line shows up within the deadline.
    void start(std::uint16_t port = 0);
    // SIGTERM (graceful: WebSockets get Close 1001), SIGKILL after a deadline.
    void stop();
    // SIGKILL: a crash.
    void kill();
    bool running() const { return pid_ > 0; }

    std::uint16_t port() const { return port_; }
    std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
    std::string logs() const;  // stderr of every run so far

    // A free port on 127.0.0.1 right now (for "server down at start": nothing listens yet).
    static std::uint16_t free_port();

private:
    void wait_exit(std::chrono::milliseconds deadline);

    std::string dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
    int runs_ = 0;
};

// The confab binary (CONFAB_BIN, or the one this build made).
std::string confab_binary();

}  // namespace confab::testing
