// Presence announcements, the same for every front end (confab.v1, plain rooms, telnet):
// members of the room get a QoS 0 "presence" event now, and a REST backend can follow
// `presence/{room}`, where each join and leave (also of peers dropped by a ping timeout) is a
// stored QoS 1 event it can resume. Loop thread.
#pragma once

#include <cstdint>
#include <string>

#include "rooms/member.hpp"
#include "session/session_context.hpp"

namespace confab::session {

inline constexpr std::string_view kPresencePrefix = "presence/";

void announce_presence(const SessionContext& ctx, const std::string& room, bool joined,
                       const rooms::MemberInfo& member, std::uint64_t sender);

}  // namespace confab::session
