// Pending store requests: what a session left with the history store, to be completed on its
// own loop. The store's token carries a pointer to one of these; the HistoryBridge takes
// ownership on the store thread and posts the completion back to `loop`.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "net/connection.hpp"
#include "net/event_loop.hpp"
#include "session/room_message_builder.hpp"
#include "store/history_store.hpp"

namespace confab::session {

struct PendingPublish {
    net::EventLoop* loop = nullptr;
    std::weak_ptr<net::Connection> conn;  // the callback runs only while it is open
    ChatMessageSpec message;              // what to fan out once stored (seq filled in then)
    // Null: nobody waits for the ack (then loop and conn may be empty too).
    std::function<void(const store::AppendResult&)> on_stored;
};

struct PendingRead {
    net::EventLoop* loop = nullptr;
    std::weak_ptr<net::Connection> conn;
    std::function<void(store::ReadResult&&)> on_read;
};

template <typename Pending>
std::uint64_t to_token(std::unique_ptr<Pending> pending) {
    return reinterpret_cast<std::uint64_t>(pending.release());
}

template <typename Pending>
std::unique_ptr<Pending> from_token(std::uint64_t token) {
    return std::unique_ptr<Pending>(reinterpret_cast<Pending*>(token));
}

}  // namespace confab::session
