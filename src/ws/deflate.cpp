#include "ws/deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/ascii.hpp"

namespace confab::ws {
namespace {

// RFC 7692 §7.2.1/§7.2.2: the sender strips this empty-stored-block tail, the receiver
// appends it back before inflating.
constexpr char kTail[4] = {'\x00', '\x00', '\xFF', '\xFF'};
constexpr std::size_t kMinGrowth = 4096;
// zlib counts input and output in 32-bit uInt; larger spans are handed over in slices.
constexpr std::size_t kMaxSlice = std::size_t{1} << 30;

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "confab: zlib: %s\n", what);
    std::abort();
}

void check_init(int rc) {
    // Out of memory is treated like a failed operator new; anything else is our bug
    // (window bits are clamped before we get here).
    if (rc == Z_MEM_ERROR) throw std::bad_alloc();
    if (rc != Z_OK) die("stream initialisation failed");
}

// Inflates all of `input` onto the end of `out`. `out` never grows past max_size + 1 bytes:
// the extra byte is how we learn that the message is too large without inflating further.
Result<void> inflate_into(z_stream& z, std::string_view input, std::string& out,
                          std::size_t max_size) {
    const std::size_t hard_cap = max_size == SIZE_MAX ? max_size : max_size + 1;
    std::size_t used = out.size();
    while (!input.empty()) {
        const std::size_t slice = std::min(input.size(), kMaxSlice);
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
        z.avail_in = static_cast<uInt>(slice);
        for (;;) {
            if (used == out.size()) {
                const std::size_t grow = std::min(std::max(kMinGrowth, used), kMaxSlice);
                out.resize(std::min(hard_cap, used + grow));
            }
            z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
            z.avail_out = static_cast<uInt>(out.size() - used);
            const int rc = ::inflate(&z, Z_SYNC_FLUSH);
            used = out.size() - z.avail_out;
            if (used > max_size) {
                out.resize(used);
                return fail(Errc::TooLarge, "inflated message exceeds the size limit");
            }
            if (rc == Z_STREAM_END) {
                // RFC 7692 §7.2.3.5: a sender may end a message with a BFINAL block. Whatever
                // follows (at least our appended tail) starts a fresh stream.
                ::inflateReset(&z);
                if (z.avail_in == 0) break;
                continue;
            }
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                out.resize(used);
                return fail(Errc::ProtocolViolation,
                            std::string("corrupt deflate data: ") + (z.msg ? z.msg : "?"));
            }
            // All input consumed and room left over: everything decodable has been flushed.
            if (z.avail_in == 0 && z.avail_out > 0) break;
        }
        input.remove_prefix(slice);
    }
    out.resize(used);
    return {};
}

}  // namespace

Inflater::Inflater(int window_bits, bool no_context_takeover)
    : z_(std::make_unique<z_stream_s>()), no_context_takeover_(no_context_takeover) {
    // A window at least as large as the sender's always decodes correctly. 9 rather than 8:
    // zlib refuses raw 8-bit compression, so peers granted 8 bits may compress with a 9-bit
    // window (zlib issue #171); 256 more bytes buys compatibility with them.
    const int bits = std::clamp(window_bits, 9, 15);
    check_init(inflateInit2(z_.get(), -bits));  // negative: raw deflate, no zlib header
}

Inflater::~Inflater() { inflateEnd(z_.get()); }

Result<void> Inflater::inflate(std::string_view fragment, bool final, std::string& out,
                               std::size_t max_size) {
    auto result = inflate_into(*z_, fragment, out, max_size);
    if (result && final) result = inflate_into(*z_, std::string_view(kTail, 4), out, max_size);
    // After a failure the stream state is meaningless; start over so the object stays usable.
    if (!result || (final && no_context_takeover_)) ::inflateReset(z_.get());
    return result;
}

Deflater::Deflater(int window_bits, bool no_context_takeover)
    : z_(std::make_unique<z_stream_s>()), no_context_takeover_(no_context_takeover) {
    // zlib rejects raw deflate with a 256-byte window (since 1.2.9), so 8 becomes 9. That
    // still honours a peer's 8-bit limit (RFC 7692 §7.1.2.1): zlib never matches further
    // back than the window minus MIN_LOOKAHEAD (262), i.e. 250 bytes for a 9-bit window.
    const int bits = std::clamp(window_bits, 9, 15);
    check_init(
        deflateInit2(z_.get(), Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY));
}

Deflater::~Deflater() { deflateEnd(z_.get()); }

std::string Deflater::deflate(std::string_view message) {
    // RFC 7692 §7.2.3.6: an empty message compresses to one empty stored block. zlib would
    // emit nothing for an empty sync flush right after another one, so say it ourselves.
    if (message.empty()) return std::string(1, '\0');

    std::string out(deflateBound(z_.get(), message.size()) + 16, '\0');
    std::size_t used = 0;
    while (!message.empty()) {
        const std::size_t slice = std::min(message.size(), kMaxSlice);
        const int flush = slice == message.size() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
        z_->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
        z_->avail_in = static_cast<uInt>(slice);
        for (;;) {
            if (used == out.size()) out.resize(out.size() * 2);
            z_->next_out = reinterpret_cast<Bytef*>(out.data() + used);
            z_->avail_out = static_cast<uInt>(std::min(out.size() - used, kMaxSlice));
            const std::size_t room = z_->avail_out;
            const int rc = ::deflate(z_.get(), flush);
            used += room - z_->avail_out;
            if (rc == Z_STREAM_ERROR) die("deflate stream error");
            if (z_->avail_in == 0 && z_->avail_out > 0) break;
        }
        message.remove_prefix(slice);
    }
    out.resize(used);
    // A sync flush always ends with the empty stored block 00 00 FF FF; §7.2.1 drops it.
    if (used < 4 || out.compare(used - 4, 4, kTail, 4) != 0) die("sync flush tail missing");
    out.resize(used - 4);
    if (no_context_takeover_) ::deflateReset(z_.get());
    return out;
}

namespace {


// RFC 7230 §3.2.6 tchar.
bool is_tchar(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A cursor over one Sec-WebSocket-Extensions value: tokens, quoted strings and separators,
// with optional whitespace between them.
class ExtensionLexer {
public:
    explicit ExtensionLexer(std::string_view text) : s_(text) {}

    bool at_end() {
        skip_ows();
        return i_ == s_.size();
    }
    bool next_is(char c) {
        skip_ows();
        return i_ < s_.size() && s_[i_] == c;
    }
    bool consume(char c) {
        if (!next_is(c)) return false;
        ++i_;
        return true;
    }
    std::optional<std::string_view> token() {
        skip_ows();
        const std::size_t start = i_;
        while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
        if (i_ == start) return std::nullopt;
        return s_.substr(start, i_ - start);
    }
    // token / quoted-string, unescaped (RFC 6455 §9.1 allows either for parameter values).
    std::optional<std::string> value() {
        if (!consume('"')) {
            auto t = token();
            return t ? std::optional<std::string>(*t) : std::nullopt;
        }
        std::string out;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"') return out;
            if (c == '\\') {
                if (i_ == s_.size()) break;
                c = s_[i_++];
            }
            out.push_back(c);
        }
        return std::nullopt;  // unterminated
    }
    // Skips the rest of a malformed list element, up to the next comma outside quotes.
    void skip_element() {
        bool quoted = false;
        for (; i_ < s_.size(); ++i_) {
            const char c = s_[i_];
            if (quoted && c == '\\') {
                ++i_;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == ',') {
                return;
            }
        }
    }

private:
    void skip_ows() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

struct OfferParam {
    std::string_view name;
    std::optional<std::string> value;
};

// One list element: extension-token *( ";" extension-param ). False on a syntax error.
bool parse_offer(ExtensionLexer& lex, std::string_view& name, std::vector<OfferParam>& params) {
    auto ext = lex.token();
    if (!ext) return false;
    name = *ext;
    while (lex.consume(';')) {
        auto param_name = lex.token();
        if (!param_name) return false;
        OfferParam param{*param_name, std::nullopt};
        if (lex.consume('=')) {
            param.value = lex.value();
            if (!param.value) return false;
        }
        params.push_back(std::move(param));
    }
    return lex.at_end() || lex.next_is(',');
}

// RFC 7692 §7.1.2.1: a decimal integer 8..15 with no leading zeros.
std::optional<int> parse_window_bits(std::string_view v) {
    if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
    if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
    return std::nullopt;
}

// Applies §7.1's rules to one permessage-deflate offer; nullopt declines it.
std::optional<DeflateNegotiation> accept_offer(const std::vector<OfferParam>& params) {
    DeflateNegotiation n;
    bool seen_server_nct = false, seen_client_nct = false;
    bool seen_server_bits = false, seen_client_bits = false;
    bool answer_client_bits = false;
    for (const auto& p : params) {
        if (iequals_ascii(p.name, "server_no_context_takeover")) {
            // Already our policy (see DeflateParams); only its syntax matters here.
            if (seen_server_nct || p.value) return std::nullopt;
            seen_server_nct = true;
        } else if (iequals_ascii(p.name, "client_no_context_takeover")) {
            if (seen_client_nct || p.value) return std::nullopt;
            seen_client_nct = true;
            n.params.client_no_context_takeover = true;
        } else if (iequals_ascii(p.name, "server_max_window_bits")) {
            // §7.1.2.1: the value is mandatory.
            auto bits = p.value ? parse_window_bits(*p.value) : std::nullopt;
            if (seen_server_bits || !bits) return std::nullopt;
            seen_server_bits = true;
            n.params.server_max_window_bits = *bits;
        } else if (iequals_ascii(p.name, "client_max_window_bits")) {
            // §7.1.2.2: without a value it only says the client could honour a limit; we
            // set none and leave the parameter out of the answer (the client keeps 15).
            if (seen_client_bits) return std::nullopt;
            seen_client_bits = true;
            if (p.value) {
                auto bits = parse_window_bits(*p.value);
                if (!bits) return std::nullopt;
                n.params.client_max_window_bits = *bits;
                answer_client_bits = true;
            }
        } else {
            return std::nullopt;  // §7.1: unknown parameter
        }
    }
    n.response_header = "permessage-deflate; server_no_context_takeover";
    if (n.params.client_no_context_takeover) n.response_header += "; client_no_context_takeover";
    if (seen_server_bits) {
        n.response_header +=
            "; server_max_window_bits=" + std::to_string(n.params.server_max_window_bits);
    }
    if (answer_client_bits) {
        n.response_header +=
            "; client_max_window_bits=" + std::to_string(n.params.client_max_window_bits);
    }
    return n;
}

}  // namespace

std::optional<DeflateNegotiation> negotiate_deflate(std::string_view extensions_header) {
    ExtensionLexer lex(extensions_header);
    std::vector<OfferParam> params;
    while (!lex.at_end()) {
        if (lex.consume(',')) continue;  // RFC 7230 §7: empty list elements are allowed
        std::string_view name;
        params.clear();
        if (!parse_offer(lex, name, params)) {
            lex.skip_element();
            continue;
        }
        if (!iequals_ascii(name, "permessage-deflate")) continue;
        if (auto accepted = accept_offer(params)) return accepted;
    }
    return std::nullopt;
}

}  // namespace confab::ws
