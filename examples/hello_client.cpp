// A first libconfab program: join a room, say hello once (QoS 1: stored and acked), print
// what the room says, and stop after our own greeting comes back. The server may be down
// when it starts: the client keeps trying, and the greeting waits in the outbox.
//
//   hello_client ws://127.0.0.1:8080/ws lobby
#include <chrono>
#include <confab/client.hpp>
#include <future>
#include <iostream>
#include <utility>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: hello_client ws://HOST:PORT/ws ROOM\n";
        return 2;
    }
    confab::ClientOptions options;
    options.nick = "hello";
    options.on_state = [](const confab::StateChange& s) {
        std::cerr << "* " << confab::to_string(s.state)
                  << (s.reason ? ": " + s.reason->message : "") << "\n";
    };
    auto client = confab::Client::create(argv[1], options);
    if (!client) {
        std::cerr << client.error().message << "\n";
        return 2;
    }

    std::promise<void> echoed;  // set when our own greeting is delivered back to us
    bool seen = false;          // callbacks run one at a time, on the client's thread
    confab::RoomHandlers room;
    room.on_message = [&](const confab::Message& m) {
        std::cout << "[" << m.room << " #" << m.seq << "] " << m.from.nick << ": " << m.data
                  << std::endl;
        if (m.from.nick == "hello" && !std::exchange(seen, true)) echoed.set_value();
    };
    if (auto joined = client->join(argv[2], room); !joined) {
        std::cerr << joined.error().message << "\n";
        return 2;
    }

    auto greeting = client->publish(argv[2], R"({"text":"hello from libconfab"})");
    auto ack = greeting ? greeting->wait_for(std::chrono::seconds(10)) : std::nullopt;
    if (!ack || !*ack) {
        std::cerr << "not acked: " << (ack ? ack->error().message : "timeout") << "\n";
        return 1;
    }
    std::cout << "acked as seq " << (*ack)->seq << std::endl;
    echoed.get_future().wait_for(std::chrono::seconds(10));
    client->close();  // no thread, socket or callback is left after this
    return 0;
}
