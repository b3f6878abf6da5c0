// One WebSocket connection attempt of the client: resolve, TCP connect, opening handshake
// (confab.v1), then frames both ways through the ws/ codecs. One write in flight; the
// frames of a write are pulled from the listener when the previous write completes, so
// nothing waits in a socket-side queue that the session cannot see. Used once: a reconnect
// makes a new Connection. Runs on the client's strand only.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "client/client_error.hpp"
#include "client/session.hpp"
#include "client/ws_client_codec.hpp"
#include "client/ws_url.hpp"

namespace confab::client {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// What a connection reports, on the strand. After on_closed, or after abort(), nothing.
class ConnectionListener {
public:
    virtual ~ConnectionListener() = default;
    virtual void on_open() = 0;                       // handshake done: frames may flow
    virtual void on_text(std::string_view text) = 0;  // one whole text message
    virtual void on_activity() = 0;                   // bytes arrived (a sign of life)
    // Appends frames to write now (at most about `budget` bytes).
    virtual void pull(std::vector<OutFrame>& out, std::size_t budget) = 0;
    // The frames of a finished write: `written` false when the write failed.
    virtual void on_written(std::vector<OutFrame>& frames, bool written) = 0;
    // The attempt failed or the connection ended. `close_code` is the server's Close code,
    // 1006 when there was none.
    virtual void on_closed(const Error& why, std::uint16_t close_code) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(Strand strand, ConnectionListener& listener, std::size_t max_message_size);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Starts resolving and connecting; reports on_open or on_closed later, never inline.
    void start(const WsUrl& url);
    // The listener has frames to write: pulls them unless a write is in flight.
    void kick();
    // Sends a WebSocket ping (keepalive; RFC 6455 §5.5.2 — the server answers with a pong).
    void ping();
    // Ends the connection now: sends a Close frame if that cannot interleave with a write in
    // flight (best effort, non-blocking), closes the socket and cancels every operation.
    // The listener is never called again. Returns the frames of the write in flight, which
    // may not have been written: the caller completes them.
    [[nodiscard]] std::vector<OutFrame> abort();

    bool open() const { return state_ == State::Open; }

private:
    enum class State : std::uint8_t { Resolving, Connecting, Handshaking, Open, Closed };
    class Frames;  // the ws::FrameHandler that forwards to this connection

    void connect(const boost::asio::ip::tcp::resolver::results_type& endpoints);
    void send_request();
    void read_handshake();
    void on_handshake_bytes(std::size_t n);
    void read_frames();
    void on_frame_bytes(std::size_t n);
    void on_write(const boost::system::error_code& ec);
    void queue_control(std::string frame);
    void fail(ErrorCode code, std::string message, std::uint16_t close_code = 1006);
    std::uint32_t next_mask();

    Strand strand_;
    ConnectionListener* listener_;  // null after on_closed or abort()
    boost::asio::ip::tcp::socket socket_;
    boost::asio::ip::tcp::resolver resolver_;
    State state_ = State::Resolving;
    std::string target_;  // "host:port" for messages
    std::string path_;
    std::string host_header_;
    std::string key_;      // Sec-WebSocket-Key sent
    std::string request_;  // the upgrade request while it is written
    std::string head_;     // response head received so far (Handshaking only)
    std::vector<std::uint8_t> read_buf_;
    FrameDecoder decoder_;
    std::unique_ptr<Frames> frames_;
    std::mt19937 rng_;
    // Writes: control frames jump ahead of data; one async_write at a time.
    bool writing_ = false;
    std::vector<std::string> control_;  // encoded control frames waiting
    std::vector<std::string> wire_;     // encoded frames of the write in flight
    std::vector<OutFrame> batch_;       // their origins (completions)
};

}  // namespace confab::client
