#include "http/responses.hpp"

#include <fmt/format.h>

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

namespace confab::http {

namespace bhttp = boost::beast::http;

std::string_view reason_phrase(int status) {
    switch (status) {
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 415: return "Unsupported Media Type";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        // RFC 9110's phrases above; anything else as Beast knows it (its 413 is the older
        // "Payload Too Large", hence the table).
        default: {
            auto phrase = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(status)));
            return {phrase.data(), phrase.size()};
        }
    }
}

FrameRef make_response(int status, std::string_view content_type, std::string_view body,
                       KeepAlive keep_alive, HeaderList extra, BodyMode mode) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nServer: confab\r\n", status, reason_phrase(status));
    if (!content_type.empty()) out += fmt::format("Content-Type: {}\r\n", content_type);
    if (status != 101 && status != 204 && status != 304) {
        out += fmt::format("Content-Length: {}\r\n", body.size());
    }
    if (status != 101) out += keep_alive == KeepAlive::Yes ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    for (const auto& [name, value] : extra) out += fmt::format("{}: {}\r\n", name, value);
    out += "\r\n";
    if (mode == BodyMode::Full && status != 304) out += body;
    return SharedFrame::copy_of(out);
}

FrameRef switching_protocols(std::string_view accept, std::string_view extensions,
                             std::string_view subprotocol) {
    std::string out = fmt::format(
        "HTTP/1.1 101 Switching Protocols\r\nServer: confab\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
        accept);
    if (!extensions.empty()) out += fmt::format("Sec-WebSocket-Extensions: {}\r\n", extensions);
    if (!subprotocol.empty()) out += fmt::format("Sec-WebSocket-Protocol: {}\r\n", subprotocol);
    out += "\r\n";
    return SharedFrame::copy_of(out);
}

FrameRef make_problem(int status, std::string_view detail, KeepAlive keep_alive, HeaderList extra) {
    nlohmann::json problem = {{"type", "about:blank"},
                              {"title", reason_phrase(status)},
                              {"status", status},
                              {"detail", detail}};
    std::string body = problem.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return make_response(status, "application/problem+json", body, keep_alive, extra);
}

}  // namespace confab::http
