// The webhook's body signature: HMAC-SHA256 of the exact body bytes under --webhook-secret,
// sent as `X-Confab-Signature: sha256=<hex>` so a backend can tell our POSTs from forgeries.
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace confab::notify {

inline constexpr std::string_view kSignatureHeader = "X-Confab-Signature";

// Lower-case hex of HMAC-SHA256(key, body): 64 characters.
std::string hmac_sha256_hex(std::string_view key, std::string_view body);

// The header's value: "sha256=" + hmac_sha256_hex(secret, body).
std::string signature_value(std::string_view secret, std::string_view body);

}  // namespace confab::notify
