#include "bench/http_response_parser.hpp"

#include <algorithm>
#include <charconv>

namespace confab::bench {
namespace {

constexpr std::size_t kMaxHead = 16 * 1024;

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return (x | 0x20) == (y | 0x20);
           });
}

bool icontains(std::string_view haystack, std::string_view needle) {
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
        if (iequals(haystack.substr(i, needle.size()), needle)) return true;
    }
    return false;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "HTTP/1.1 201 Created" → 201; 0 when malformed.
int parse_status(std::string_view line) {
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ') return 0;
    if (line.size() > 12 && line[12] != ' ') return 0;
    int status = 0;
    const auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
    return ec == std::errc{} && end == line.data() + 12 && status >= 100 ? status : 0;
}

}  // namespace

void HttpResponseParser::feed(std::string_view bytes) {
    // Drop what earlier responses used before appending (their views are no longer valid).
    if (consumed_ > 0) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
    }
    buffer_.append(bytes);
}

tl::expected<std::optional<HttpResponse>, std::string> HttpResponseParser::next() {
    const std::string_view rest = std::string_view(buffer_).substr(consumed_);
    const std::size_t head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        if (rest.size() > kMaxHead) return tl::unexpected(std::string("response head over 16 KiB"));
        return std::nullopt;
    }
    const std::string_view head = rest.substr(0, head_end + 2);
    std::size_t eol = head.find("\r\n");
    HttpResponse r;
    r.status = parse_status(head.substr(0, eol));
    if (r.status == 0) {
        return tl::unexpected("malformed status line '" + std::string(head.substr(0, eol)) + "'");
    }
    std::optional<std::size_t> length;
    for (std::size_t pos = eol + 2; pos < head.size(); pos = eol + 2) {
        eol = head.find("\r\n", pos);
        const std::string_view line = head.substr(pos, eol - pos);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Length")) {
            std::size_t n = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec != std::errc{} || end != value.data() + value.size()) {
                return tl::unexpected("bad Content-Length '" + std::string(value) + "'");
            }
            length = n;
        } else if (iequals(name, "Transfer-Encoding")) {
            return tl::unexpected(std::string("chunked bodies are not supported"));
        } else if (iequals(name, "Connection")) {
            r.close = icontains(value, "close");
        }
    }
    // RFC 9112 §6.3: 1xx, 204 and 304 have no body.
    const bool bodyless = r.status < 200 || r.status == 204 || r.status == 304;
    if (bodyless) length = 0;
    if (!length) return tl::unexpected(std::string("response without Content-Length"));
    const std::size_t body_at = head_end + 4;
    if (rest.size() < body_at + *length) return std::nullopt;
    r.body = rest.substr(body_at, *length);
    consumed_ += body_at + *length;
    return r;
}

}  // namespace confab::bench
