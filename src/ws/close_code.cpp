#include "ws/close_code.hpp"

namespace confab::ws::close_code {

bool is_valid_on_wire(std::uint16_t code) {
    // RFC 6455 §7.4.2: 0-999 are unused and 1000-2999 belong to the protocol; of those only
    // the codes registered for use in a Close frame may be received. 1004 is reserved, and
    // 1005/1006/1015 are placeholders an endpoint must never put on the wire (§7.4.1).
    // 1012-1014 were registered later (IANA "WebSocket Close Code Number Registry").
    if (code >= 1000 && code <= 1003) return true;
    if (code >= 1007 && code <= 1014) return true;
    // §7.4.2: 3000-3999 are registered with IANA for libraries, 4000-4999 private use.
    return code >= 3000 && code <= 4999;
}

}  // namespace confab::ws::close_code
