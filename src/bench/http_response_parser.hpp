// Splits the bytes of one keep-alive HTTP/1.1 connection into responses (RFC 9112): status
// line, headers, a Content-Length body. Enough for confab's API, which always sends a
// Content-Length (none for 1xx, 204 and 304) and never chunks. Pure; one per connection.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace confab::bench {

struct HttpResponse {
    int status = 0;
    std::string_view body;  // valid until the next feed() or next()
    bool close = false;     // "Connection: close": the server ends the connection after it
};

class HttpResponseParser {
public:
    // Appends bytes read from the connection.
    void feed(std::string_view bytes);
    // The next complete response, nullopt while more bytes are needed, or an error (the
    // connection cannot be read further): a malformed status line or Content-Length, a
    // chunked body, a missing length, a head over 16 KiB.
    tl::expected<std::optional<HttpResponse>, std::string> next();
    // Bytes received and not yet returned as part of a response.
    std::size_t buffered() const { return buffer_.size() - consumed_; }

private:
    std::string buffer_;
    std::size_t consumed_ = 0;  // buffer_[0..consumed_) belongs to returned responses
};

}  // namespace confab::bench
