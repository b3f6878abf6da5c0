// The client library's error vocabulary inside src/client: the public confab::Error and
// Result<T> (include/confab/error.hpp) under names that never meet the server core's
// confab::Error (src/core/result.hpp), which the ws/ codecs pull in. Any thread.
#pragma once

#include <confab/error.hpp>
#include <string>

namespace confab::client {

using Error = client_v1::Error;
using ErrorCode = client_v1::ErrorCode;
template <typename T>
using Result = client_v1::Result<T>;

inline tl::unexpected<Error> fail(ErrorCode code, std::string message) {
    return client_v1::make_error(code, std::move(message));
}

}  // namespace confab::client
