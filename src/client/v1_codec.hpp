// The client side of confab.v1 (docs/protocol.md): commands out as compact JSON text, server
// messages in as typed values. Pure (nlohmann::json); any thread. Never throws.
#pragma once

#include <confab/message.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/client_error.hpp"

namespace confab::client::wire {

inline constexpr std::size_t kMaxDataBytes = 64 * 1024;  // `data`, compact JSON
inline constexpr std::size_t kMaxIdBytes = 64;

// --- validation shared by the public API and the encoders

bool is_valid_nick(std::string_view nick);  // 1-32 of A-Z a-z 0-9 . _ -
bool is_valid_id(std::string_view id);      // 1-64 printable ASCII (also epochs)
// `json` as one compact JSON value: InvalidArgument when it is not JSON, TooLarge over
// kMaxDataBytes.
Result<std::string> compact_data(std::string_view json);

// --- client → server

std::string encode_hello(std::string_view nick, std::string_view session);
struct JoinCommand {
    std::string_view room;
    std::optional<std::uint64_t> since;  // sent with epoch
    std::string_view epoch;
    std::uint32_t history = 0;
    std::string_view ref;
};
std::string encode_join(const JoinCommand& join);
std::string encode_leave(std::string_view room, std::string_view ref);
// `data` must already be compact JSON (compact_data). The id doubles as the ref so that an
// error about this pub can be matched to it.
std::string encode_pub(std::string_view room, std::string_view data, Qos qos, std::string_view id);
std::string encode_members(std::string_view room, std::string_view ref);

// --- server → client

struct Welcome {
    std::string session;  // secret: sent back in every later hello, shown to nobody
    std::string nick;
    // welcome.member: how other clients see this one (member.session is the public member
    // id found in from.session, presence and members). Empty when the server is older.
    Member member;
    std::uint64_t ping_interval_ms = 0;
    std::uint64_t max_message_size = 0;
};
struct JoinedReply {
    Joined joined;
    std::string ref;
};
struct LeftReply {
    std::string room;
    std::string ref;
};
struct MembersReply {
    std::string room;
    std::vector<Member> members;
    std::string ref;
};
struct Pong {
    std::string ref;
};
struct ServerError {
    std::string code;  // bad_request, not_joined, unavailable, ...
    std::string message;
    std::string field;
    std::string ref;
};
struct Unknown {  // a type this client does not know: ignored (forward compatibility)
    std::string type;
};

using ServerMessage = std::variant<Welcome, JoinedReply, Message, Ack, LeftReply, Presence,
                                   MembersReply, Pong, ServerError, Unknown>;

// ProtocolError when `text` is not a JSON object with a string "type", or a known type
// lacks a required field.
Result<ServerMessage> decode_server_message(std::string_view text);

}  // namespace confab::client::wire
