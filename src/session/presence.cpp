#include "session/presence.hpp"

#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "notify/webhook.hpp"
#include "rooms/room_name.hpp"
#include "session/history_bridge.hpp"
#include "session/pending.hpp"

namespace confab::session {

namespace {
void announce_presence(const SessionContext& ctx, const std::string& room, bool joined,
                       const rooms::MemberInfo& member, std::uint64_t sender) {
    const std::size_t limit = ctx.config.presence_fanout_limit;
    if (ctx.shard.rooms().member_count(room) <= limit && presence_has_audience(ctx.build())) {
        ctx.shard.publish_soon(build_presence_message(ctx.build(), room, joined, member, sender),
                               limit);
    }
    // Rooms that are themselves presence feeds are not announced again.
    std::string feed = std::string(kPresencePrefix) + room;
    if (room.starts_with(kPresencePrefix) || !rooms::is_valid_room_name(feed)) return;
    nlohmann::json event = {{"event", joined ? "join" : "leave"},
                            {"room", room},
                            {"member", {{"nick", member.nick}, {"session", member.session}, {"via", member.via}}}};
    auto pending = std::make_unique<PendingPublish>();
    pending->loop = &ctx.shard.loop();  // no connection: nobody waits for the ack
    pending->message = {.room = feed,
                        .line = chat_line_from_v1("confab", "server", event.dump()),
                        .qos = rooms::Qos::Guaranteed,
                        .ts_ms = wall_clock_ms(),
                        .sender = sender};
    if (auto ok = submit_publish(ctx.history, std::move(pending), "", ""); !ok) {
        log::warn("presence event for {} not stored: {}", room, ok.error().message);
    }
}

// Presence feeds are watched by backends, not chatted in: the webhook leaves them out, as
// presence leaves them out of presence.
bool webhook_reports(const SessionContext& ctx, const std::string& room) {
    return ctx.webhook != nullptr && !room.starts_with(kPresencePrefix);
}
}  // namespace

void announce_join(const SessionContext& ctx, const std::string& room,
                   const rooms::MemberInfo& member, std::uint64_t sender) {
    announce_presence(ctx, room, true, member, sender);
    // One member here now: this join filled the room on this loop.
    if (webhook_reports(ctx, room) && ctx.shard.rooms().member_count(room) == 1) {
        ctx.webhook->room_filled_here(room);
    }
}

void announce_leave(const SessionContext& ctx, const std::string& room,
                    const rooms::MemberInfo& member, std::uint64_t sender,
                    rooms::LeaveReason reason) {
    announce_presence(ctx, room, false, member, sender);
    if (webhook_reports(ctx, room)) {
        bool empty_here = ctx.shard.rooms().member_count(room) == 0;
        ctx.webhook->member_left(room, member, reason,
                                 empty_here ? notify::LocalRoom::NowEmpty : notify::LocalRoom::StillOccupied);
    }
}

}  // namespace confab::session
