#include "notify/webhook_event.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

namespace confab::notify {

std::string_view event_type_name(EventType type) {
    switch (type) {
        case EventType::RoomOccupied:
            return "room.occupied";
        case EventType::RoomVacated:
            return "room.vacated";
        case EventType::MemberLeft:
            return "member.left";
    }
    return "member.left";
}

std::string format_utc_time(std::int64_t unix_ms) {
    // Floor division: a time before 1970 still gets milliseconds in 0..999.
    std::int64_t seconds = unix_ms / 1000;
    std::int64_t millis = unix_ms % 1000;
    if (millis < 0) {
        millis += 1000;
        seconds -= 1;
    }
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

namespace {
nlohmann::json to_json(const WebhookEvent& e, std::string_view run_id) {
    nlohmann::json j = {{"id", fmt::format("{}-{}", run_id, e.seq)},
                        {"seq", e.seq},
                        {"type", event_type_name(e.type)},
                        {"room", e.room},
                        {"time", format_utc_time(e.time_ms)}};
    if (e.type == EventType::MemberLeft) {
        nlohmann::json member = {{"nick", e.member.nick}, {"via", e.member.via}};
        // Plain-room members have no session id: leave it out rather than send "".
        if (!e.member.session.empty()) member["session"] = e.member.session;
        j["member"] = std::move(member);
        j["reason"] = rooms::leave_reason_name(e.reason);
    }
    return j;
}
}  // namespace

std::string event_json(const WebhookEvent& event, std::string_view run_id) {
    // Nicks and room names are validated UTF-8; replace rather than throw should one not be.
    return to_json(event, run_id).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string batch_body(std::span<const WebhookEvent> events, std::string_view run_id) {
    nlohmann::json list = nlohmann::json::array();
    for (const WebhookEvent& e : events) list.push_back(to_json(e, run_id));
    nlohmann::json body = {{"events", std::move(list)}};
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace confab::notify
