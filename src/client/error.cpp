#include <confab/error.hpp>

namespace confab {
inline namespace client_v1 {

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidArgument:
            return "invalid_argument";
        case ErrorCode::InvalidUrl:
            return "invalid_url";
        case ErrorCode::OutboxFull:
            return "outbox_full";
        case ErrorCode::Dropped:
            return "dropped";
        case ErrorCode::TooLarge:
            return "too_large";
        case ErrorCode::Closed:
            return "closed";
        case ErrorCode::ConnectFailed:
            return "connect_failed";
        case ErrorCode::HandshakeFailed:
            return "handshake_failed";
        case ErrorCode::Timeout:
            return "timeout";
        case ErrorCode::ConnectionLost:
            return "connection_lost";
        case ErrorCode::ProtocolError:
            return "protocol_error";
        case ErrorCode::Rejected:
            return "rejected";
        case ErrorCode::NotConnected:
            return "not_connected";
    }
    return "unknown";
}

}  // namespace client_v1
}  // namespace confab
