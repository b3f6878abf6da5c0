// Presence announcements, the same for every front end (confab.v1, plain rooms, telnet):
// members of the room get a QoS 0 "presence" event now, and a REST backend can follow
// `presence/{room}`, where each join and leave (also of peers dropped by a ping timeout) is a
// stored QoS 1 event it can resume. With --webhook, the webhook also learns of the leave and
// of the room filling or emptying on this loop. Loop thread.
#pragma once

#include <cstdint>
#include <string>

#include "rooms/member.hpp"
#include "session/session_context.hpp"

namespace confab::session {

inline constexpr std::string_view kPresencePrefix = "presence/";

// Call right after RoomRegistry::join: the webhook's occupancy count reads the registry.
void announce_join(const SessionContext& ctx, const std::string& room,
                   const rooms::MemberInfo& member, std::uint64_t sender);
// Call right after RoomRegistry::leave, with why the member left.
void announce_leave(const SessionContext& ctx, const std::string& room,
                    const rooms::MemberInfo& member, std::uint64_t sender,
                    rooms::LeaveReason reason);

}  // namespace confab::session
