#include "session/history_bridge.hpp"

#include "core/log.hpp"
#include "session/pending.hpp"

namespace confab::session {

void HistoryBridge::on_appended(std::vector<store::AppendResult>&& batch) {
    std::vector<rooms::RoomMessagePtr> stored;
    stored.reserve(batch.size());
    std::vector<std::pair<std::unique_ptr<PendingPublish>, store::AppendResult>> acks;
    acks.reserve(batch.size());
    for (auto& result : batch) {
        auto pending = from_token<PendingPublish>(result.token);
        if (!result.error && !result.duplicate) {
            ChatMessageSpec spec = pending->message;
            spec.seq = result.seq;
            spec.ts_ms = result.ts_ms;
            stored.push_back(build_chat_message(build_, std::move(spec)));
        }
        acks.emplace_back(std::move(pending), std::move(result));
    }
    // Fan-out first, then acks: a publisher that is also a member sees its message, then the
    // ack (both orders are allowed; this one is the one documented).
    if (!stored.empty()) {
        for (shard::Shard* s : shards_) {
            s->loop().post([s, stored] { s->deliver_batch(stored); });
        }
    }
    for (auto& [pending, result] : acks) {
        // Nobody waits for this one (a resource event): fan-out only, no loop to post to.
        if (!pending->on_stored) {
            if (result.error) log::warn("history: {}: not stored: {}", result.room, result.error->message);
            continue;
        }
        net::EventLoop* loop = pending->loop;
        loop->post([p = std::move(pending), r = std::move(result)] {
            auto conn = p->conn.lock();
            if (conn && conn->is_open() && p->on_stored) p->on_stored(r);
        });
    }
}

void HistoryBridge::on_read(store::ReadResult&& result) {
    auto pending = from_token<PendingRead>(result.token);
    net::EventLoop* loop = pending->loop;
    loop->post([p = std::move(pending), r = std::move(result)]() mutable {
        auto conn = p->conn.lock();
        if (conn && conn->is_open() && p->on_read) p->on_read(std::move(r));
    });
}

Result<void> submit_publish(store::HistoryStore& store, std::unique_ptr<PendingPublish> pending,
                            std::string session_id, std::string client_msg_id) {
    store::AppendRequest request;
    request.room = pending->message.room;
    request.session_id = std::move(session_id);
    request.client_msg_id = std::move(client_msg_id);
    request.payload = stored_payload(pending->message.line);
    request.ts_ms = pending->message.ts_ms;
    PendingPublish* raw = pending.get();
    request.token = to_token(std::move(pending));
    auto submitted = store.submit(std::move(request));
    if (!submitted) from_token<PendingPublish>(reinterpret_cast<std::uint64_t>(raw));  // reclaim
    return submitted;
}

Result<void> submit_read(store::HistoryStore& store, store::ReadRequest request,
                         std::unique_ptr<PendingRead> pending) {
    PendingRead* raw = pending.get();
    request.token = to_token(std::move(pending));
    auto submitted = store.submit(std::move(request));
    if (!submitted) from_token<PendingRead>(reinterpret_cast<std::uint64_t>(raw));
    return submitted;
}

}  // namespace confab::session
