#include "proto/proto_error.hpp"

namespace confab::proto {

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::BadJson:
            return "bad_json";
        case ErrorCode::BadRequest:
            return "bad_request";
        case ErrorCode::UnknownType:
            return "unknown_type";
        case ErrorCode::TooLarge:
            return "too_large";
        case ErrorCode::NotJoined:
            return "not_joined";
        case ErrorCode::NoHello:
            return "no_hello";
        case ErrorCode::InvalidRoom:
            return "invalid_room";
        case ErrorCode::Forbidden:
            return "forbidden";
        case ErrorCode::RateLimited:
            return "rate_limited";
        case ErrorCode::Unavailable:
            return "unavailable";
        case ErrorCode::Internal:
            return "internal";
    }
    return "internal";  // an out-of-range value: report it as the server bug it is
}

}  // namespace confab::proto
