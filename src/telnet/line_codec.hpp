// Telnet-friendly line codec: bytes from a raw TCP/telnet peer in, whole lines out.
// Pure; one instance per connection, used by that connection's loop only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace confab::telnet {

class LineHandler {
public:
    virtual ~LineHandler() = default;
    // One line without its terminator (LF, CRLF or CR NUL), IAC sequences removed.
    virtual void on_line(std::string_view line) = 0;
    // A line grew past the limit; its bytes up to the next terminator are discarded.
    // Called once per overlong line.
    virtual void on_line_too_long() = 0;
};

class LineCodec {
public:
    explicit LineCodec(std::size_t max_line_bytes);

    // Consumes bytes. Telnet commands (RFC 854) are stripped: IAC IAC is a literal 0xFF,
    // IAC WILL/WONT/DO/DONT <opt> are answered by refusing (DONT/WONT) — replies are queued
    // for take_replies() — IAC SB ... IAC SE is skipped, other 2-byte commands are dropped.
    // Sequences split across calls are handled. Bytes are kept only for an incomplete line.
    // Only WILL and DO get a reply: WONT/DONT ask for the mode we are already in, and
    // RFC 854 forbids acknowledging those (it is how negotiation loops start).
    // A line is delivered at its CR already; an LF or NUL right after it is swallowed.
    void feed(std::string_view bytes, LineHandler& handler);

    // Negotiation replies produced by feed(), to be written to the peer; clears them.
    std::string take_replies();

private:
    enum class State { Data, Iac, Option, Sub, SubIac, CarriageReturn };

    void step(unsigned char byte, LineHandler& handler);
    void on_command(unsigned char command, LineHandler& handler);
    void answer_option(unsigned char option);
    // Appends line bytes, or reports and starts discarding when the limit would be passed.
    void append_text(std::string_view text, LineHandler& handler);
    void end_line(LineHandler& handler);

    std::size_t max_line_;
    std::string line_;
    std::string replies_;
    State state_ = State::Data;
    unsigned char pending_command_ = 0;
    bool discarding_ = false;  // true from an overflow until the next line terminator
};

}  // namespace confab::telnet
