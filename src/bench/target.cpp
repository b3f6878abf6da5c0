#include "bench/target.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/resource.h>

#include <charconv>
#include <stdexcept>

namespace confab::bench {
namespace {

in_addr parse_ipv4(std::string_view text) {
    in_addr a{};
    if (inet_pton(AF_INET, std::string(text).c_str(), &a) != 1) {
        throw std::invalid_argument("not an IPv4 address: '" + std::string(text) + "'");
    }
    return a;
}

in_addr resolve_ipv4(const std::string& host) {
    in_addr a{};
    if (inet_pton(AF_INET, host.c_str(), &a) == 1) return a;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || res == nullptr) {
        throw std::invalid_argument("cannot resolve '" + host + "' to IPv4: " + gai_strerror(rc));
    }
    a = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return a;
}

// SCHEME://HOST[:PORT][/PATH] for a scheme without TLS.
Target parse_url(std::string_view url, std::string_view scheme) {
    const std::string bad = "bad --url '" + std::string(url) + "': ";
    const std::string prefix = std::string(scheme) + "://";
    const std::string tls_prefix = std::string(scheme) + "s://";
    if (url.starts_with(tls_prefix))
        throw std::invalid_argument(bad + tls_prefix + " is not supported");
    if (!url.starts_with(prefix))
        throw std::invalid_argument(bad + "expected " + prefix + "HOST:PORT[/PATH]");
    std::string_view rest = url.substr(prefix.size());
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    Target t;
    if (slash != std::string_view::npos) t.path = std::string(rest.substr(slash));
    if (authority.empty()) throw std::invalid_argument(bad + "no host");
    std::string_view host = authority;
    unsigned port = 80;
    if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        std::string_view p = authority.substr(colon + 1);
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
        if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535) {
            throw std::invalid_argument(bad + "port must be 1-65535");
        }
    }
    if (host.empty() || host.front() == '[') {
        throw std::invalid_argument(bad + "host must be IPv4 or a name");
    }
    t.addr.sin_family = AF_INET;
    t.addr.sin_port = htons(static_cast<std::uint16_t>(port));
    t.addr.sin_addr = resolve_ipv4(std::string(host));
    t.host_header = std::string(authority);
    return t;
}

}  // namespace

Target parse_ws_url(std::string_view url) {
    return parse_url(url, "ws");
}

Target parse_http_url(std::string_view url) {
    return parse_url(url, "http");
}

std::vector<in_addr> parse_source_addrs(std::string_view text) {
    std::vector<in_addr> out;
    if (text.empty()) return out;
    if (const std::size_t dash = text.find('-'); dash != std::string_view::npos) {
        const std::uint32_t first = ntohl(parse_ipv4(text.substr(0, dash)).s_addr);
        const std::uint32_t last = ntohl(parse_ipv4(text.substr(dash + 1)).s_addr);
        if (last < first || last - first >= 65536) {
            throw std::invalid_argument(
                "--source-addrs: range must ascend and hold <= 65536 addresses");
        }
        for (std::uint64_t a = first; a <= last; ++a) {
            out.push_back(in_addr{htonl(static_cast<std::uint32_t>(a))});
        }
        return out;
    }
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        out.push_back(parse_ipv4(text.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

unsigned long raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return lim.rlim_cur;
}

}  // namespace confab::bench
