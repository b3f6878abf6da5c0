// Room names, shared by every front end (WebSocket path, telnet /join, later the API).
#pragma once

#include <string_view>

namespace confab::rooms {

inline constexpr std::size_t kMaxRoomNameBytes = 128;

// 1-128 bytes of [A-Za-z0-9._:-] and '/', not starting or ending with '/'.
// ('/' lets later features name rooms like "resources/books/42".)
constexpr bool is_valid_room_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxRoomNameBytes) return false;
    if (name.front() == '/' || name.back() == '/') return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == ':' || c == '-' || c == '/';
        if (!ok) return false;
    }
    return true;
}

// Rooms the server itself writes: `resources/...` (resource change events) and
// `presence/...` (join/leave events). Anyone may subscribe; nobody else may publish, or a
// client could forge a resource change or a member leaving.
constexpr bool is_server_owned(std::string_view room) {
    return room.starts_with("resources/") || room.starts_with("presence/");
}

}  // namespace confab::rooms
