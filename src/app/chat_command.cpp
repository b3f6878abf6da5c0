// `confab chat URL --room R --nick N`: an interactive terminal chat over libconfab. Lines
// typed are said to the current room (QoS 1); /join, /leave, /who, /quit. Connection state
// changes are shown as they happen; the client reconnects by itself.
#include <confab/client.hpp>
#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "app/commands.hpp"
#include "client/message_text.hpp"

namespace confab::app {

namespace {

struct ChatFlags {
    std::string url;
    std::string room = "lobby";
    std::string nick;
};

// The terminal: lines from the client's thread and from the input loop never interleave.
class Screen {
public:
    void line(const std::string& text) {
        std::lock_guard lock(mutex_);
        std::cout << text << '\n' << std::flush;
    }

private:
    std::mutex mutex_;
};

std::string state_line(const StateChange& s, const std::string& url) {
    switch (s.state) {
        case ConnectionState::Connecting:
            return s.attempt <= 1 ? "* connecting to " + url
                                  : "* connecting (attempt " + std::to_string(s.attempt) + ")";
        case ConnectionState::Connected:
            return "* connected";
        case ConnectionState::Disconnected:
            return "* disconnected: " + (s.reason ? s.reason->message : std::string()) +
                   " (retrying in " + std::to_string(s.retry_in.count()) + " ms)";
        case ConnectionState::Closed:
            return "* closed";
    }
    return {};
}

class Chat {
public:
    Chat(Client& client, std::shared_ptr<Screen> screen) : client_(client), screen_(screen) {}

    void join(const std::string& room) {
        auto screen = screen_;
        RoomHandlers h;
        h.on_message = [screen](const Message& m) { screen->line(client::display_line(m)); };
        h.on_presence = [screen](const Presence& p) {
            screen->line("* " + p.member.nick + (p.joined ? " joined " : " left ") + p.room);
        };
        h.on_joined = [screen](const Result<Joined>& j) {
            if (!j) return screen->line("* cannot join: " + j.error().message);
            std::string text = "* you are in " + j->room;
            if (!j->recovered && j->reason != "no_since" && j->reason != "empty") {
                text += " (messages may be missing: " + j->reason + ")";
            }
            screen->line(text);
        };
        if (auto ok = client_.join(room, std::move(h), {.history = 20}); !ok) {
            return screen_->line("* " + ok.error().message);
        }
        rooms_.insert(room);
        current_ = room;
    }

    void leave(std::string room) {
        if (room.empty()) room = current_;
        if (auto ok = client_.leave(room); !ok) return screen_->line("* " + ok.error().message);
        rooms_.erase(room);
        screen_->line("* left " + room);
        if (room == current_) current_ = rooms_.empty() ? "" : *rooms_.begin();
        if (!current_.empty()) screen_->line("* now talking in " + current_);
    }

    void who() {
        if (current_.empty()) return screen_->line("* join a room first");
        auto screen = screen_;
        client_.members(current_, [screen, room = current_](const auto& members) {
            if (!members) return screen->line("* /who: " + members.error().message);
            std::string text = "* in " + room + ":";
            for (const Member& m : *members) text += " " + m.nick + " (" + m.via + ")";
            screen->line(text);
        });
    }

    void say(const std::string& text) {
        if (current_.empty()) return screen_->line("* join a room first: /join ROOM");
        auto screen = screen_;
        auto sent =
            client_.publish(current_, client::chat_data(text), {}, [screen](const Result<Ack>& r) {
                if (!r) screen->line("* not sent: " + r.error().message);
            });
        if (!sent) screen_->line("* not sent: " + sent.error().message);
    }

    // Returns false on /quit.
    bool handle(const std::string& line) {
        if (line.empty()) return true;
        if (line == "/quit" || line == "/exit") return false;
        if (line.rfind("/join ", 0) == 0) {
            join(line.substr(6));
        } else if (line == "/leave" || line.rfind("/leave ", 0) == 0) {
            leave(line.size() > 7 ? line.substr(7) : "");
        } else if (line == "/who") {
            who();
        } else if (line == "/help") {
            screen_->line("* /join ROOM, /leave [ROOM], /who, /quit; anything else is said to " +
                          (current_.empty() ? std::string("the current room") : current_));
        } else if (line.front() == '/') {
            screen_->line("* unknown command (try /help)");
        } else {
            say(line);
        }
        return true;
    }

private:
    Client& client_;
    std::shared_ptr<Screen> screen_;
    std::set<std::string> rooms_;
    std::string current_;
};

// Ctrl-C in a terminal ends the chat the way /quit does: the client closes (its pending
// QoS 1 lines are reported, no thread is left) and "* bye" is printed. The handler is
// installed without SA_RESTART so the blocked read of the next input line returns.
volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) { interrupted = 1; }

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: read(2) on stdin fails with EINTR
    sigaction(SIGINT, &action, nullptr);
}

// SIGINT must reach the thread that reads stdin: the client's thread is created with the
// signal blocked (threads inherit the mask) and only this thread unblocks it again.
class InterruptOnlyThisThread {
public:
    InterruptOnlyThisThread() {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &set, &saved_);
    }
    void unblock() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

private:
    sigset_t saved_;
};

int run_chat(const ChatFlags& f) {
    install_interrupt_handler();
    InterruptOnlyThisThread signals;
    auto screen = std::make_shared<Screen>();
    ClientOptions options;
    options.nick = f.nick;
    options.on_state = [screen, url = f.url](const StateChange& s) {
        screen->line(state_line(s, url));
    };
    auto client = Client::create(f.url, options);
    signals.unblock();
    if (!client) {
        std::cerr << "confab chat: " << client.error().message << "\n";
        return 2;
    }
    Chat chat(*client, screen);
    chat.join(f.room);
    std::string line;
    while (!interrupted && std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!chat.handle(line)) break;
    }
    client->close();
    screen->line("* bye");
    return interrupted ? 130 : 0;  // 128 + SIGINT, as shells report an interrupted command
}

}  // namespace

Run add_chat_command(CLI::App& app) {
    auto flags = std::make_shared<ChatFlags>();
    CLI::App* cmd = app.add_subcommand("chat", "interactive chat in a terminal");
    cmd->add_option("url", flags->url, "server address, ws://HOST[:PORT][/PATH] (path: /ws)")
        ->required();
    cmd->add_option("--room", flags->room, "room to join first (default lobby)");
    cmd->add_option("--nick", flags->nick, "your name: 1-32 of A-Z a-z 0-9 . _ -")->required();
    cmd->footer("Commands: /join ROOM, /leave [ROOM], /who, /quit (or end of input).");
    return [flags] { return run_chat(*flags); };
}

}  // namespace confab::app
