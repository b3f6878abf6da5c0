// `confab sub URL ROOM`: print every message of a room, one line each, until SIGINT or
// SIGTERM. Survives server restarts: QoS 1 messages are printed exactly once, in order.
// Connection news goes to stderr. Exit codes: 0 stopped by a signal (or stdout closed);
// 1 the server refused the room; 2 bad arguments or URL.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <confab/client.hpp>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "client/message_text.hpp"

namespace confab::app {

namespace {

struct SubFlags {
    std::string url;
    std::string room;
    std::uint64_t since = 0;
    bool json = false;
    std::string nick = "confab-sub";
};

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;

void describe_state(const StateChange& s, std::string_view url) {
    switch (s.state) {
        case ConnectionState::Connecting:
            std::cerr << "* connecting to " << url << " (attempt " << s.attempt << ")\n";
            break;
        case ConnectionState::Connected:
            // The member id, not the session id: that one is a credential, and the member id
            // is what this client's own messages carry in from.session.
            std::cerr << "* connected";
            if (!s.member_session.empty()) std::cerr << " (member " << s.member_session << ")";
            std::cerr << "\n";
            break;
        case ConnectionState::Disconnected:
            std::cerr << "* disconnected: " << (s.reason ? s.reason->message : "")
                      << "; retrying in " << s.retry_in.count() << " ms\n";
            break;
        case ConnectionState::Closed:
            break;
    }
}

void describe_join(const Joined& j) {
    std::cerr << "* joined " << j.room << " (epoch " << j.epoch << ", last seq " << j.last_seq;
    if (j.recovered) {
        std::cerr << ", resumed";
    } else if (!j.reason.empty() && j.reason != "no_since") {
        std::cerr << ", not resumed: " << j.reason;
    }
    std::cerr << ")\n";
}

int run_sub(const SubFlags& f, bool has_since) {
    // Signals are taken by sigwait below; block them before the client's thread exists so
    // that it inherits the mask. SIGUSR1 is how a callback ends the command.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    auto exit_code = std::make_shared<std::atomic<int>>(0);
    auto finish = [exit_code](int code) {
        exit_code->store(code);
        kill(getpid(), SIGUSR1);
    };

    ClientOptions options;
    options.nick = f.nick;
    options.on_state = [url = f.url](const StateChange& s) { describe_state(s, url); };
    auto client = Client::create(f.url, options);
    if (!client) {
        std::cerr << "confab sub: " << client.error().message << "\n";
        return kExitUsage;
    }
    RoomHandlers handlers;
    handlers.on_message = [json = f.json, finish](const Message& m) {
        std::cout << (json ? client::json_line(m) : client::display_line(m)) << '\n' << std::flush;
        if (!std::cout) finish(0);  // stdout closed (e.g. `| head`): nothing left to do
    };
    handlers.on_joined = [finish, room = f.room](const Result<Joined>& j) {
        if (j) return describe_join(*j);
        std::cerr << "confab sub: cannot join " << room << ": " << j.error().message << "\n";
        finish(kExitRefused);
    };
    JoinOptions join;
    if (has_since) join.since = f.since;
    if (auto ok = client->join(f.room, std::move(handlers), join); !ok) {
        std::cerr << "confab sub: " << ok.error().message << "\n";
        return kExitUsage;
    }
    int sig = 0;
    sigwait(&signals, &sig);
    client->close();
    return sig == SIGUSR1 ? exit_code->load() : 0;
}

}  // namespace

Run add_sub_command(CLI::App& app) {
    auto flags = std::make_shared<SubFlags>();
    CLI::App* cmd = app.add_subcommand("sub", "print a room's messages, one line each");
    cmd->add_option("url", flags->url, "server address, ws://HOST[:PORT][/PATH] (path: /ws)")
        ->required();
    cmd->add_option("room", flags->room, "room name")->required();
    CLI::Option* since =
        cmd->add_option("--since", flags->since, "first print the stored messages after SEQ");
    cmd->add_flag("--json", flags->json, "print each message as one JSON object");
    cmd->add_option("--nick", flags->nick, "display name (default confab-sub)");
    cmd->footer(
        "Runs until SIGINT/SIGTERM. Exit status: 0 stopped; 1 the server refused the "
        "room; 2 bad arguments or URL.");
    return [flags, since] { return run_sub(*flags, since->count() > 0); };
}

}  // namespace confab::app
