// Percent-decoding of a path segment (RFC 3986 §2.1). OpenAPI clients and browsers escape
// '/' inside a path parameter (a room "presence/lobby" becomes "presence%2Flobby"), so the
// room segment is decoded before it is checked against the room-name rules.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace confab::http {

// nullopt for a malformed escape ('%' not followed by two hex digits). '+' stays '+': it
// means a space only in form-encoded query strings, never in a path.
std::optional<std::string> percent_decode(std::string_view segment);

}  // namespace confab::http
