// WebhookEvent: one thing a backend is told about a room (occupied, vacated, a member left),
// and its JSON form on the wire (docs/http-api.md, "Webhook"). Pure; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "rooms/member.hpp"

namespace confab::notify {

enum class EventType {
    RoomOccupied,  // the first member joined a room that was empty on every loop
    RoomVacated,   // the last member left it
    MemberLeft,    // a member left (on purpose, or because its connection ended)
};

std::string_view event_type_name(EventType type);  // "room.occupied", ...

struct WebhookEvent {
    std::uint64_t seq = 0;  // 1, 2, 3... per server run, in the order events happened
    EventType type = EventType::MemberLeft;
    std::string room;
    std::int64_t time_ms = 0;  // Unix time in ms, taken when it happened
    // MemberLeft only.
    rooms::MemberInfo member;
    rooms::LeaveReason reason = rooms::LeaveReason::Closed;
};

// "2025-05-01T12:00:00.123Z": ISO 8601, UTC, milliseconds.
std::string format_utc_time(std::int64_t unix_ms);

// One event as a JSON object. `run_id` names this server run: the event's id is
// "<run_id>-<seq>", unique across restarts, so a backend can drop a retried duplicate.
std::string event_json(const WebhookEvent& event, std::string_view run_id);

// A POST body: {"events":[...]} with the events in order.
std::string batch_body(std::span<const WebhookEvent> events, std::string_view run_id);

}  // namespace confab::notify
