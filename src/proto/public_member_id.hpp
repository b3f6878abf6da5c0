// The public member id of a confab.v1 session (docs/protocol.md, "Session ids are secret"):
// what other people see of a member in `from`, `presence`, `members`, the HTTP API, webhook
// events and stored history. Pure; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace confab::proto {

// Length of a public member id: "m-" and 16 lowercase hex digits.
inline constexpr std::size_t kPublicMemberIdSize = 18;

// "m-" + the first 16 lowercase hex digits of SHA-256("confab.v1 member\n" + session).
//
// A session id (welcome.session, hello.session) is a bearer credential: whoever sends it in
// a hello takes over that identity and its QoS 1 idempotency keys. This is a one-way function
// of it, so showing the result to everyone reveals nothing that lets a receiver say hello as
// that member, and it stays the same across reconnects with the same session id. 64 bits
// keep accidental collisions out of reach for any realistic number of sessions.
// Never fails (aborts if OpenSSL has no SHA-256); any bytes are accepted (hello.session is
// validated before it gets here).
std::string public_member_id(std::string_view session);

}  // namespace confab::proto
