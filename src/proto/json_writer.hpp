// Compact JSON output for the confab.v1 encoders: a string escaper that always produces
// valid JSON, whatever bytes it is given. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace confab::proto {

// Appends `text` to `out` as a quoted JSON string (RFC 8259 §7).
// Escapes '"', '\\' and every control character below U+0020 (\n, \t, ... or \u00XX), and
// U+2028/U+2029 (legal in JSON but line terminators in JavaScript before ES2019; Pub::data
// gets the same treatment, so no frame the server sends contains them raw). Other valid UTF-8 is
// copied as is. Each byte that is not part of valid UTF-8 (RFC 3629: overlongs, surrogates, >
// U+10FFFF, truncated) becomes \ufffd, so the result is always valid JSON in valid UTF-8. Never
// throws (short of std::bad_alloc).
void append_json_string(std::string& out, std::string_view text);

// The same, returned as a new string.
std::string json_string(std::string_view text);

}  // namespace confab::proto
