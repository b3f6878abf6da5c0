// `confab pub URL ROOM MESSAGE`: publish one message and wait for its ack (QoS 1) or its
// write (QoS 0). Exit codes: 0 done; 1 refused by the server; 2 bad arguments or URL;
// 3 could not connect within --timeout; 4 connected, but no ack within --timeout.
#include <algorithm>
#include <confab/client.hpp>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "app/commands.hpp"
#include "client/message_text.hpp"
#include "server/config.hpp"

namespace confab::app {

namespace {

struct PubFlags {
    std::string url;
    std::string room;
    std::string message;
    int qos = 1;
    std::string timeout = "5s";
    bool json = false;
    std::string nick = "confab-pub";
    std::string id;
};

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNoConnection = 3;
constexpr int kExitNoAck = 4;

// What the state callback saw, for the error message when the deadline passes.
struct Progress {
    std::mutex mutex;
    bool connected = false;
    std::optional<Error> last_error;
};

int fail_with(int code, const std::string& message) {
    std::cerr << "confab pub: " << message << "\n";
    return code;
}

int run_pub(const PubFlags& f) {
    std::chrono::milliseconds timeout;
    try {
        timeout = server::parse_duration(f.timeout);
    } catch (const std::invalid_argument& e) {
        return fail_with(kExitUsage, std::string("--timeout: ") + e.what());
    }
    std::string data = f.json ? f.message : client::chat_data(f.message);
    auto progress = std::make_shared<Progress>();
    ClientOptions options;
    options.nick = f.nick;
    options.connect_timeout = std::min(timeout, options.connect_timeout);
    // A one-shot QoS 0 message may wait for the connection as long as the command does.
    options.drop_after = timeout;
    options.on_state = [progress](const StateChange& s) {
        std::lock_guard lock(progress->mutex);
        if (s.state == ConnectionState::Connected) progress->connected = true;
        if (s.reason) progress->last_error = s.reason;
    };
    auto client = Client::create(f.url, options);
    if (!client) return fail_with(kExitUsage, client.error().message);
    auto pub = client->publish(
        f.room, data, {.qos = f.qos == 0 ? Qos::AtMostOnce : Qos::AtLeastOnce, .id = f.id});
    if (!pub) {
        client->close();
        return fail_with(kExitUsage, pub.error().message);
    }
    auto outcome = pub->wait_for(timeout);
    client->close();
    std::lock_guard lock(progress->mutex);
    const std::string why = progress->last_error ? ": " + progress->last_error->message : "";
    if (!outcome || (!*outcome && outcome->error().code == ErrorCode::Dropped)) {
        if (!progress->connected) {
            return fail_with(kExitNoConnection,
                             "could not connect to " + f.url + " within " + f.timeout + why);
        }
        return fail_with(kExitNoAck, std::string(f.qos == 0 ? "not written" : "no ack") +
                                         " within " + f.timeout + why);
    }
    if (!*outcome) {
        return fail_with(kExitRefused,
                         "the server refused the message: " + outcome->error().message);
    }
    const Ack& ack = **outcome;
    if (ack.qos == Qos::AtLeastOnce) {
        std::cout << "acked " << ack.room << " seq " << ack.seq << " id " << ack.id
                  << (ack.duplicate ? " (duplicate)" : "") << "\n";
    } else {
        std::cout << "written " << ack.room << " id " << ack.id << "\n";
    }
    return 0;
}

}  // namespace

Run add_pub_command(CLI::App& app) {
    auto flags = std::make_shared<PubFlags>();
    CLI::App* cmd = app.add_subcommand("pub", "publish one message to a room and wait for its ack");
    cmd->add_option("url", flags->url, "server address, ws://HOST[:PORT][/PATH] (path: /ws)")
        ->required();
    cmd->add_option("room", flags->room, "room name")->required();
    cmd->add_option("message", flags->message, "the text (sent as {\"text\": MESSAGE})")
        ->required();
    cmd->add_option("--qos", flags->qos, "0: fire and forget, 1: stored and acked (default)")
        ->check(CLI::IsMember({0, 1}));
    cmd->add_option("--timeout", flags->timeout,
                    "give up after this long: connect, re-connect and ack (default 5s)");
    cmd->add_flag("--json", flags->json, "MESSAGE is a JSON value, sent as is");
    cmd->add_option("--nick", flags->nick, "display name (default confab-pub)");
    cmd->add_option("--id", flags->id, "message id, 1-64 printable ASCII (default: generated)");
    cmd->footer(
        "Exit status: 0 acked (QoS 1) or written (QoS 0); 1 refused by the server; 2 bad "
        "arguments or URL; 3 could not connect within the timeout; 4 no ack within the "
        "timeout.");
    return [flags] { return run_pub(*flags); };
}

}  // namespace confab::app
