// What a session may reach on its loop: the settings, its shard (rooms, stats, peers), and
// process-wide gauges. One per shard; outlives every session on it.
#pragma once

#include <atomic>

#include "net/connection.hpp"
#include "session/room_message_builder.hpp"
#include "session/session_config.hpp"
#include "shard/shard.hpp"
#include "store/history_store.hpp"

namespace confab::notify {
class Webhook;
}

namespace confab::session {

struct SessionContext {
    const SessionConfig& config;
    shard::Shard& shard;
    // Telnet users online on any loop: publishers render the telnet form of a message only
    // when someone may read it.
    Audience& audience;
    // Open connections on every loop, against --max-connections.
    const net::ConnectionGauge& connections;
    // Durable history for QoS 1; completions come back through the HistoryBridge.
    store::HistoryStore& history;
    // --webhook: room occupied/vacated and member.left events; null when not configured.
    notify::Webhook* webhook = nullptr;

    BuildContext build() const { return {config, audience}; }
};

}  // namespace confab::session
