#include "server_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace confab::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::chrono::milliseconds scaled(std::chrono::milliseconds d) {
    const char* scale = std::getenv("CONFAB_TEST_TIME_SCALE");
    const double k = scale != nullptr ? std::atof(scale) : CONFAB_TIME_SCALE_DEFAULT;
    return std::chrono::milliseconds(static_cast<std::int64_t>(d.count() * (k > 0 ? k : 1.0)));
}

std::string confab_binary() {
    const char* bin = std::getenv("CONFAB_BIN");
    return bin != nullptr && *bin != '\0' ? bin : CONFAB_BIN_DEFAULT;
}

namespace {

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

ServerProcess::ServerProcess() {
    std::string pattern = (fs::temp_directory_path() / "confab-client-it-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    fs::create_directory(fs::path(dir_) / "data");
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) kill();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

std::uint16_t ServerProcess::free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

void ServerProcess::start(std::uint16_t port) {
    if (pid_ > 0) throw std::logic_error("server already running");
    if (port != 0) port_ = port;
    ++runs_;
    const fs::path out = fs::path(dir_) / ("stdout." + std::to_string(runs_));
    const fs::path err = fs::path(dir_) / ("stderr." + std::to_string(runs_));
    const std::string bin = confab_binary();
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string data = (fs::path(dir_) / "data").string();
    std::vector<std::string> args = {
        bin,   "serve",      "--listen", listen,      "--telnet-listen",
        "off", "--data-dir", data,       "--threads", "1"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, bin.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error("cannot start " + bin + ": " + std::strerror(rc));
    }
    static const std::regex ready(R"(confab ready http=127\.0\.0\.1:(\d+) telnet=off)");
    const auto deadline = std::chrono::steady_clock::now() + scaled(15s);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        const std::string text = read_file(out);
        if (std::regex_search(text, m, ready)) {
            port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("confab serve exited before it was ready:\n" + logs());
        }
        std::this_thread::sleep_for(10ms);  // polling a file; the event is the ready line
    }
    kill();
    throw std::runtime_error("confab serve printed no ready line:\n" + logs());
}

void ServerProcess::wait_exit(std::chrono::milliseconds deadline_in) {
    const auto deadline = std::chrono::steady_clock::now() + deadline_in;
    while (pid_ > 0) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(5ms);
    }
}

void ServerProcess::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    wait_exit(scaled(10s));
}

void ServerProcess::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    wait_exit(scaled(10s));
}

std::string ServerProcess::logs() const {
    std::string all;
    for (int i = 1; i <= runs_; ++i) {
        all += "--- run " + std::to_string(i) + " stderr ---\n";
        all += read_file(fs::path(dir_) / ("stderr." + std::to_string(i)));
    }
    return all;
}

}  // namespace confab::testing
