// HistoryBridge: turns the history store's completions into loop work. Runs on the store
// thread, in commit order: each batch of stored messages is encoded once (every form) and
// posted to every shard as ONE batch; acks and read results are posted to the loop that
// asked. Because the store reports strictly in submission order and each loop's queue is
// FIFO, a loop sees a read's result and live messages in commit order — the seam a resuming
// client relies on.
#pragma once

#include <vector>

#include "session/pending.hpp"
#include "session/room_message_builder.hpp"
#include "shard/shard.hpp"
#include "store/history_store.hpp"

namespace confab::session {

class HistoryBridge final : public store::HistorySink {
public:
    HistoryBridge(BuildContext build, std::vector<shard::Shard*> shards)
        : build_(build), shards_(std::move(shards)) {}

    void on_appended(std::vector<store::AppendResult>&& batch) override;
    void on_read(store::ReadResult&& result) override;

private:
    BuildContext build_;
    std::vector<shard::Shard*> shards_;
};

// Submits a publish; on failure (queue full, store stopped) returns the error and the
// pending record is destroyed here, so no callback follows.
Result<void> submit_publish(store::HistoryStore& store, std::unique_ptr<PendingPublish> pending,
                            std::string session_id, std::string client_msg_id);
Result<void> submit_read(store::HistoryStore& store, store::ReadRequest request,
                         std::unique_ptr<PendingRead> pending);

}  // namespace confab::session
