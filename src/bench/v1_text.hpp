// confab.v1 as the bench speaks it: the few commands it sends, and a scan of the server's
// replies. The server writes compact JSON with a stable field order (docs/protocol.md), so a
// field is found by its `"name":` without a JSON parser: the bench must read millions of
// `msg` events per second. Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace confab::bench::v1 {

// --- commands (the strings given here must not need JSON escaping) -----------------------

std::string hello(std::string_view nick, std::string_view session = {});
// A plain join; with `epoch` non-empty, a resume from `since`.
std::string join(std::string_view room, std::uint64_t since = 0, std::string_view epoch = {});
// A publish whose data is the JSON string `data`; `id` empty: none (QoS 0 only).
std::string pub(std::string_view room, int qos, std::string_view id, std::string_view data);

// --- replies -----------------------------------------------------------------------------

enum class Type { Welcome, Joined, Msg, Ack, Presence, Error, Other };

// The reply's type, from its first field.
Type type_of(std::string_view json);

// The fields of a reply before a msg's `data` (data is any JSON and always last: scanning
// only what precedes it, a key inside the data can never be mistaken for the envelope's).
std::string_view envelope(std::string_view json);

// The unsigned integer (or digits-only string, such as "id":"17") of `"name":`; nullopt
// when absent or not a number.
std::optional<std::uint64_t> uint_field(std::string_view json, std::string_view name);
// The raw content of the string `"name":"..."` (escapes are not decoded: the fields the
// bench reads, ids and epochs, never hold any); nullopt when absent or not a string.
std::optional<std::string_view> string_field(std::string_view json, std::string_view name);
// true / false of `"name":`; nullopt when absent or not a boolean.
std::optional<bool> bool_field(std::string_view json, std::string_view name);
// The content of a msg's data when it is a JSON string: between `"data":"` and the final
// `"}`; nullopt otherwise. `expected_size` (the bench knows its payloads) only lets the
// common case skip the search.
std::optional<std::string_view> data_string(std::string_view json, std::size_t expected_size = 0);

}  // namespace confab::bench::v1
