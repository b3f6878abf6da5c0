// How chat lines look on each side of a room shared by WebSocket and telnet users.
// WebSocket side: JSON text {"nick": "...", "text": "..."} (the chat page sends and renders
// these; "via": "telnet" marks lines typed in telnet). Telnet side: "[nick]: text\r\n".
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace confab::telnet {

// The WebSocket payload for a line typed by a telnet user.
// {"nick":..,"text":..,"via":"telnet"}; bytes of `text` that are not UTF-8 become U+FFFD.
std::string line_to_ws_json(std::string_view nick, std::string_view text);

// What a telnet user sees for a room message from WebSocket. A JSON chat line renders as
// "[nick]: text"; any other text as "[ws]: <text>"; a binary message as
// "[ws]: <binary, N bytes>". Control characters (ESC, etc.) are replaced so a peer cannot
// drive the telnet user's terminal; embedded newlines become spaces. Ends with "\r\n".
// In detail: ANSI escape sequences (CSI, OSC, ...) are removed whole; other C0/C1 controls
// and bytes that are not valid UTF-8 become U+FFFD, so the result is valid UTF-8 and never
// contains 0xFF (IAC). A JSON line counts as a chat line if "nick" and "text" are strings.
// Never throws (short of std::bad_alloc).
std::string render_for_telnet(std::string_view payload, bool is_text);

// True if `nick` is acceptable: 1-32 bytes of letters, digits, '-', '_' or '.'.
bool is_valid_nick(std::string_view nick);

}  // namespace confab::telnet
