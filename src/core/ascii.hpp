// ASCII text helpers for protocol tokens (HTTP header names and values, WebSocket extension
// parameters, telnet commands): case folding and blank trimming that ignore the locale and
// leave non-ASCII bytes alone. Pure; any thread.
#pragma once

#include <algorithm>
#include <string_view>

namespace confab {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// Equal ignoring ASCII case ("Upgrade" == "upgrade").
inline bool iequals_ascii(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// Without leading and trailing spaces and tabs (HTTP's optional whitespace, RFC 9110 §5.6.3).
inline std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace confab
