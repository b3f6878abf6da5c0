// Close codes (RFC 6455 §7.4) and the rule for which a peer may send.
#pragma once

#include <cstdint>

namespace confab::ws::close_code {

inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;       // server shutdown
inline constexpr std::uint16_t kProtocolError = 1002;
inline constexpr std::uint16_t kUnsupportedData = 1003;
inline constexpr std::uint16_t kNoStatus = 1005;        // never on the wire
inline constexpr std::uint16_t kAbnormal = 1006;        // never on the wire
inline constexpr std::uint16_t kInvalidPayload = 1007;  // e.g. bad UTF-8
inline constexpr std::uint16_t kPolicyViolation = 1008;
inline constexpr std::uint16_t kMessageTooBig = 1009;
inline constexpr std::uint16_t kMandatoryExtension = 1010;
inline constexpr std::uint16_t kInternalError = 1011;
inline constexpr std::uint16_t kTryAgainLater = 1013;   // slow consumer: reconnect and resume

// RFC 6455 §7.4.1/§7.4.2: may this code appear in a received Close frame?
// 1000-1003, 1007-1011 (and 1012-1014 registered since) and 3000-4999 are valid;
// 1004, 1005, 1006, 1015, anything below 1000 and 5000+ are not.
bool is_valid_on_wire(std::uint16_t code);

}  // namespace confab::ws::close_code
