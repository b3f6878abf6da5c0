#include "server/config.hpp"

#include <charconv>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <string>

namespace confab::server {

HostPort parse_host_port(std::string_view text) {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        throw std::invalid_argument("expected HOST:PORT, got '" + std::string(text) + "'");
    }
    std::string_view host = text.substr(0, colon);
    std::string_view port = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535 || port.empty()) {
        throw std::invalid_argument("invalid port in '" + std::string(text) + "'");
    }
    return HostPort{host.empty() ? "0.0.0.0" : std::string(host), static_cast<std::uint16_t>(value)};
}

namespace {
// Splits "12.5ms" into 12.5 and "ms".
std::pair<double, std::string_view> number_and_unit(std::string_view text, std::string_view what) {
    std::size_t i = 0;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + i, value);
    if (i == 0 || ec != std::errc() || end != text.data() + i || !std::isfinite(value)) {
        throw std::invalid_argument("invalid " + std::string(what) + " '" + std::string(text) + "'");
    }
    return {value, text.substr(i)};
}
}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
    auto [value, unit] = number_and_unit(text, "duration");
    double ms;
    if (unit == "ms") ms = value;
    else if (unit == "s" || unit.empty()) ms = value * 1000;
    else if (unit == "m") ms = value * 60'000;
    else if (unit == "h") ms = value * 3'600'000;
    else throw std::invalid_argument("invalid duration unit in '" + std::string(text) + "' (use ms, s, m, h)");
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::size_t parse_size(std::string_view text) {
    auto [value, unit] = number_and_unit(text, "size");
    double factor;
    if (unit.empty() || unit == "B") factor = 1;
    else if (unit == "K" || unit == "KB" || unit == "KiB") factor = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MiB") factor = 1024.0 * 1024;
    else if (unit == "G" || unit == "GB" || unit == "GiB") factor = 1024.0 * 1024 * 1024;
    else throw std::invalid_argument("invalid size unit in '" + std::string(text) + "' (use B, KiB, MiB, GiB)");
    return static_cast<std::size_t>(value * factor);
}

store::SyncMode parse_sync_mode(std::string_view text) {
    if (text == "always") return store::SyncMode::Always;
    if (text == "batch") return store::SyncMode::Batch;
    if (text == "off") return store::SyncMode::Off;
    throw std::invalid_argument("--sync must be always, batch or off, got '" + std::string(text) + "'");
}

}  // namespace confab::server
