// ChatLine: one message as every front end understands it, whatever front end sent it.
// Plain rooms (/ws/rooms), confab.v1 (/ws) and telnet share rooms; a ChatLine is rendered
// once per form (not per receiver). Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace confab::session {

struct ChatLine {
    std::string nick;
    // The sender's member id: shown to every receiver and stored, so never a confab.v1
    // session id (proto::public_member_id of it). Empty for anonymous plain-room members.
    std::string session;
    std::string via;                  // "ws" | "telnet"
    std::string data;                 // compact JSON text: the confab.v1 "data" value
    // Plain-room publishes keep their exact bytes for plain-room receivers (Gorilla semantics).
    std::optional<std::string> verbatim;
};

// A text message from a plain-room member with connection id `conn_id`. The chat page's
// {"nick":..,"text":..} keeps its nick; other JSON becomes data as is; other text becomes a
// JSON string.
ChatLine chat_line_from_plain(std::string_view payload, std::uint64_t conn_id);
// A line typed by a telnet user.
ChatLine chat_line_from_telnet(std::string nick, std::string session, std::string_view text);
// A confab.v1 publish (or one the server makes) by `member_id`, never a session id; `data`
// is compact, validated JSON.
ChatLine chat_line_from_v1(std::string nick, std::string member_id, std::string data);
// A stored QoS 1 message's payload (see stored_payload) back into a ChatLine; nullopt when
// the stored text is not what stored_payload writes.
std::optional<ChatLine> chat_line_from_stored(std::string_view stored);

// What the history store keeps: {"nick":..,"session":..,"via":..,"data":..}.
std::string stored_payload(const ChatLine& line);
// What a line says in words: data.text when data is {"text": "..."}, or data itself when it
// is a string. Parsed from data on demand: confab.v1 receivers never need it, so a v1 publish
// is not parsed for it when only v1 members are listening.
std::optional<std::string> chat_text(const ChatLine& line);
// What plain-room members receive: the verbatim bytes, or {"nick":..,"text":..[,"via":"telnet"]},
// or {"nick":..,"data":..}.
std::string plain_payload(const ChatLine& line);
// What telnet users see: "[nick]: text\r\n", sanitized for terminals.
std::string telnet_line(const ChatLine& line);

}  // namespace confab::session
