// Telnet line codec: a byte-at-a-time state machine for RFC 854 commands, with a fast path
// that copies runs of plain data. Pure; one instance per connection.
#include "telnet/line_codec.hpp"

namespace confab::telnet {

namespace {

// RFC 854 command bytes.
constexpr unsigned char kSe = 240;
constexpr unsigned char kSb = 250;
constexpr unsigned char kWill = 251;
constexpr unsigned char kWont = 252;
constexpr unsigned char kDo = 253;
constexpr unsigned char kDont = 254;
constexpr unsigned char kIac = 255;

constexpr char kCr = '\r';
constexpr char kLf = '\n';
constexpr char kNul = '\0';

// Bytes that end the fast path: anything with a meaning other than "literal text".
constexpr std::string_view kSpecialBytes{"\r\n\0\xff", 4};

}  // namespace

LineCodec::LineCodec(std::size_t max_line_bytes) : max_line_(max_line_bytes) {}

std::string LineCodec::take_replies() {
    std::string out;
    out.swap(replies_);
    return out;
}

void LineCodec::feed(std::string_view bytes, LineHandler& handler) {
    std::size_t i = 0;
    while (i < bytes.size()) {
        if (state_ == State::Data) {
            // Fast path: append the run of ordinary bytes in one go.
            std::size_t end = bytes.find_first_of(kSpecialBytes, i);
            if (end == std::string_view::npos) end = bytes.size();
            if (end > i) {
                append_text(bytes.substr(i, end - i), handler);
                i = end;
                continue;
            }
        }
        step(static_cast<unsigned char>(bytes[i]), handler);
        ++i;
    }
}

void LineCodec::step(unsigned char byte, LineHandler& handler) {
    switch (state_) {
        case State::CarriageReturn:
            // The line was delivered at the CR already; swallow the LF or NUL of CRLF / CR NUL
            // (RFC 854 "NVT"). Anything else means a bare CR, and the byte starts the next line.
            state_ = State::Data;
            if (byte == kLf || byte == kNul) return;
            [[fallthrough]];
        case State::Data:
            if (byte == kIac) {
                state_ = State::Iac;
            } else if (byte == kLf) {
                end_line(handler);
            } else if (byte == kCr) {
                // Deliver now rather than wait for the next byte: the peer may be a client that
                // sends a bare CR and then waits for our answer.
                end_line(handler);
                state_ = State::CarriageReturn;
            } else if (byte != kNul) {  // RFC 854: NUL is a no-op on the NVT
                char c = static_cast<char>(byte);
                append_text(std::string_view(&c, 1), handler);
            }
            return;
        case State::Iac:
            on_command(byte, handler);
            return;
        case State::Option:
            answer_option(byte);
            state_ = State::Data;
            return;
        case State::Sub:
            // Nothing inside a subnegotiation is kept, so an unterminated one costs no memory.
            if (byte == kIac) state_ = State::SubIac;
            return;
        case State::SubIac:
            // IAC SE ends it; IAC IAC is an escaped 0xFF inside it; anything else is malformed
            // and we keep skipping until a real IAC SE (RFC 855).
            state_ = (byte == kSe) ? State::Data : State::Sub;
            return;
    }
}

void LineCodec::on_command(unsigned char command, LineHandler& handler) {
    switch (command) {
        case kIac: {
            // RFC 854: IAC IAC is a data byte 255.
            state_ = State::Data;
            char c = static_cast<char>(0xFF);
            append_text(std::string_view(&c, 1), handler);
            return;
        }
        case kWill:
        case kWont:
        case kDo:
        case kDont:
            pending_command_ = command;
            state_ = State::Option;
            return;
        case kSb:
            state_ = State::Sub;
            return;
        default:
            // NOP, GA, AYT, IP, a stray SE, ...: two-byte commands with nothing for us to do.
            state_ = State::Data;
            return;
    }
}

void LineCodec::answer_option(unsigned char option) {
    // We implement no option, so we stay in the default NVT mode for every one of them.
    // RFC 854: a party must not acknowledge a request to enter a mode it is already in, which
    // is why WONT and DONT (which ask for the mode we are in) get no reply: answering them
    // is how negotiation loops start.
    unsigned char refusal = 0;
    if (pending_command_ == kWill) refusal = kDont;
    if (pending_command_ == kDo) refusal = kWont;
    if (refusal == 0) return;
    replies_.push_back(static_cast<char>(kIac));
    replies_.push_back(static_cast<char>(refusal));
    replies_.push_back(static_cast<char>(option));
}

void LineCodec::append_text(std::string_view text, LineHandler& handler) {
    if (discarding_) return;
    if (line_.size() + text.size() > max_line_) {
        // Report as soon as the limit is crossed (not at the terminator) so the session can
        // react early; then drop everything up to the next terminator.
        discarding_ = true;
        line_.clear();
        handler.on_line_too_long();
        return;
    }
    line_.append(text);
}

void LineCodec::end_line(LineHandler& handler) {
    if (discarding_) {
        // The terminator of an overlong line: resynchronise, the next line is fresh.
        discarding_ = false;
        return;
    }
    // Clear before calling out so a handler that feeds us again sees a consistent state.
    std::string line;
    line.swap(line_);
    handler.on_line(line);
    if (line_.empty()) {
        line.clear();
        line_.swap(line);  // keep the buffer's capacity for the next line
    }
}

}  // namespace confab::telnet
