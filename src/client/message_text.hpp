// How a received message reads as one line of terminal text, by the chat page's convention
// (web/app.js textOf): data {"text": "..."}, a bare string, or the JSON itself. Pure; any
// thread.
#pragma once

#include <confab/message.hpp>
#include <string>
#include <string_view>

namespace confab::client {

// The text of a message's data, with control characters escaped (\n, \t, \u001b...) so that
// it stays on one line and cannot drive the terminal.
std::string display_text(std::string_view data_json);

// One line for a terminal: "[room #seq] nick: text" (no "#seq" for QoS 0).
std::string display_line(const Message& m);

// The message as one compact JSON object (room, seq, qos, id, from, ts, data), for tools.
std::string json_line(const Message& m);

// `text` as chat data: {"text": text}.
std::string chat_data(std::string_view text);

}  // namespace confab::client
