#include "client/connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <span>
#include <utility>

#include "client/ws_upgrade.hpp"
#include "ws/close_code.hpp"

namespace confab::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;
constexpr std::size_t kWriteBudget = 256 * 1024;  // bytes pulled for one gathered write

std::string close_text(std::uint16_t code, std::string_view reason) {
    std::string out = "server closed the connection (" + std::to_string(code);
    switch (code) {
        case ws::close_code::kNormal:
            out += " normal closure";
            break;
        case ws::close_code::kGoingAway:
            out += " going away";
            break;
        case ws::close_code::kProtocolError:
            out += " protocol error";
            break;
        case ws::close_code::kMessageTooBig:
            out += " message too big";
            break;
        case ws::close_code::kInternalError:
            out += " server error";
            break;
        case ws::close_code::kTryAgainLater:
            out += " slow consumer";
            break;
        default:
            break;
    }
    if (!reason.empty()) out += ": " + std::string(reason);
    return out + ")";
}

}  // namespace

// Forwards decoded frames to the connection; the decoder calls it during feed().
class Connection::Frames final : public FrameSink {
public:
    explicit Frames(Connection& c) : c_(c) {}
    void on_text(std::string_view payload) override {
        if (c_.listener_ != nullptr) c_.listener_->on_text(payload);
    }
    void on_ping(std::string_view payload) override {
        // RFC 6455 §5.5.3: a pong echoes the ping's payload.
        c_.queue_control(encode_pong(payload, c_.next_mask()));
    }
    void on_close(std::uint16_t code, std::string_view reason) override {
        c_.fail(ErrorCode::ConnectionLost, close_text(code, reason), code);
    }

private:
    Connection& c_;
};

Connection::Connection(Strand strand, ConnectionListener& listener, std::size_t max_message_size)
    : strand_(strand),
      listener_(&listener),
      socket_(strand),
      resolver_(strand),
      read_buf_(kReadBufferSize),
      decoder_(max_message_size),
      frames_(std::make_unique<Frames>(*this)),
      rng_(std::random_device{}()) {}

Connection::~Connection() = default;

std::uint32_t Connection::next_mask() {
    return static_cast<std::uint32_t>(rng_());
}

void Connection::start(const WsUrl& url) {
    target_ = url.host + ":" + url.port;
    path_ = url.path;
    host_header_ = url.host_header;
    // A numeric address needs no resolver (whose thread would outlive close() on a shared
    // io_context).
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(url.host, ec);
    if (!ec) {
        const auto port = static_cast<std::uint16_t>(std::stoul(url.port));
        auto results =
            tcp::resolver::results_type::create(tcp::endpoint(address, port), url.host, url.port);
        asio::post(strand_, [self = shared_from_this(), results] { self->connect(results); });
        return;
    }
    resolver_.async_resolve(
        url.host, url.port,
        asio::bind_executor(
            strand_, [self = shared_from_this()](const boost::system::error_code& error,
                                                 const tcp::resolver::results_type& results) {
                if (self->state_ == State::Closed) return;
                if (error) {
                    return self->fail(ErrorCode::ConnectFailed,
                                      "cannot resolve " + self->target_ + ": " + error.message());
                }
                self->connect(results);
            }));
}

void Connection::connect(const tcp::resolver::results_type& endpoints) {
    if (state_ == State::Closed) return;
    state_ = State::Connecting;
    asio::async_connect(socket_, endpoints,
                        asio::bind_executor(strand_, [self = shared_from_this()](
                                                         const boost::system::error_code& error,
                                                         const tcp::endpoint&) {
                            if (self->state_ == State::Closed) return;
                            if (error) {
                                return self->fail(
                                    ErrorCode::ConnectFailed,
                                    "cannot connect to " + self->target_ + ": " + error.message());
                            }
                            boost::system::error_code ignored;
                            self->socket_.set_option(tcp::no_delay(true), ignored);
                            self->send_request();
                        }));
}

void Connection::send_request() {
    state_ = State::Handshaking;
    std::array<std::uint8_t, 16> nonce{};
    for (std::size_t i = 0; i < nonce.size(); i += 4) {
        const std::uint32_t r = next_mask();
        std::memcpy(nonce.data() + i, &r, 4);
    }
    UpgradeRequest req = make_upgrade_request(host_header_, path_, nonce);
    key_ = std::move(req.key);
    request_ = std::move(req.text);
    asio::async_write(
        socket_, asio::buffer(request_),
        asio::bind_executor(strand_, [self = shared_from_this()](
                                         const boost::system::error_code& error, std::size_t) {
            if (self->state_ == State::Closed) return;
            if (error) {
                return self->fail(ErrorCode::ConnectionLost, "handshake write: " + error.message());
            }
            self->read_handshake();
        }));
}

void Connection::read_handshake() {
    socket_.async_read_some(
        asio::buffer(read_buf_),
        asio::bind_executor(strand_, [self = shared_from_this()](
                                         const boost::system::error_code& error, std::size_t n) {
            if (self->state_ == State::Closed) return;
            if (error) {
                return self->fail(ErrorCode::ConnectionLost,
                                  error == asio::error::eof
                                      ? "the server closed the connection during the "
                                        "WebSocket handshake"
                                      : "handshake read: " + error.message());
            }
            self->on_handshake_bytes(n);
        }));
}

void Connection::on_handshake_bytes(std::size_t n) {
    const std::size_t before = head_.size();
    head_.append(reinterpret_cast<const char*>(read_buf_.data()), n);
    const std::size_t end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end == std::string::npos) {
        if (head_.size() > kMaxResponseHead) {
            return fail(ErrorCode::HandshakeFailed, "the response head is too large");
        }
        return read_handshake();
    }
    if (auto ok = check_upgrade_response(std::string_view(head_).substr(0, end), key_); !ok) {
        return fail(ok.error().code, ok.error().message);
    }
    std::string rest = head_.substr(end + 4);  // frames that came with the 101
    std::string().swap(head_);
    std::string().swap(request_);
    state_ = State::Open;
    if (listener_ != nullptr) listener_->on_open();
    if (state_ != State::Open) return;
    if (!rest.empty()) {
        std::memcpy(read_buf_.data(), rest.data(), rest.size());
        on_frame_bytes(rest.size());
        if (state_ != State::Open) return;
    }
    read_frames();
    kick();
}

void Connection::read_frames() {
    socket_.async_read_some(
        asio::buffer(read_buf_),
        asio::bind_executor(strand_, [self = shared_from_this()](
                                         const boost::system::error_code& error, std::size_t n) {
            if (self->state_ != State::Open) return;
            if (error) {
                return self->fail(ErrorCode::ConnectionLost,
                                  error == asio::error::eof ? "the server closed the connection"
                                                            : "read: " + error.message());
            }
            self->on_frame_bytes(n);
            if (self->state_ == State::Open) self->read_frames();
        }));
}

void Connection::on_frame_bytes(std::size_t n) {
    if (listener_ != nullptr) listener_->on_activity();
    auto error = decoder_.feed(std::span<std::uint8_t>(read_buf_.data(), n), *frames_);
    if (error && state_ == State::Open) {
        fail(ErrorCode::ProtocolError, "the server broke RFC 6455: " + error->reason);
    }
}

void Connection::ping() {
    queue_control(encode_ping(next_mask()));
}

void Connection::queue_control(std::string frame) {
    if (state_ != State::Open) return;
    control_.push_back(std::move(frame));
    kick();
}

void Connection::kick() {
    if (state_ != State::Open || writing_ || listener_ == nullptr) return;
    wire_.clear();
    batch_.clear();
    for (std::string& c : control_) wire_.push_back(std::move(c));
    control_.clear();
    listener_->pull(batch_, kWriteBudget);
    if (state_ != State::Open) return;
    for (const OutFrame& f : batch_) {
        wire_.push_back(encode_text(f.text, next_mask()));
    }
    if (wire_.empty()) return;
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(wire_.size());
    for (const std::string& w : wire_) buffers.emplace_back(asio::buffer(w));
    writing_ = true;
    asio::async_write(socket_, buffers,
                      asio::bind_executor(strand_, [self = shared_from_this()](
                                                       const boost::system::error_code& error,
                                                       std::size_t) { self->on_write(error); }));
}

void Connection::on_write(const boost::system::error_code& error) {
    writing_ = false;
    std::vector<OutFrame> done = std::move(batch_);
    batch_.clear();
    wire_.clear();
    if (listener_ != nullptr && !done.empty()) listener_->on_written(done, !error);
    if (state_ != State::Open) return;
    if (error) return fail(ErrorCode::ConnectionLost, "write: " + error.message());
    kick();
}

void Connection::fail(ErrorCode code, std::string message, std::uint16_t close_code) {
    if (state_ == State::Closed) return;
    ConnectionListener* listener = listener_;
    std::vector<OutFrame> unfinished = abort();
    if (listener == nullptr) return;
    if (!unfinished.empty()) listener->on_written(unfinished, false);
    listener->on_closed(Error{code, std::move(message)}, close_code);
}

std::vector<OutFrame> Connection::abort() {
    if (state_ == State::Closed) return {};
    const bool was_open = state_ == State::Open;
    state_ = State::Closed;
    listener_ = nullptr;
    boost::system::error_code ignored;
    if (was_open && !writing_ && socket_.is_open()) {
        // Say goodbye (RFC 6455 §7.1.2) if the socket takes it right now; never wait.
        const std::string close = encode_close(ws::close_code::kNormal, next_mask());
        socket_.non_blocking(true, ignored);
        socket_.write_some(asio::buffer(close), ignored);
    }
    resolver_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    // The write in flight (if any) completes later with operation_aborted; its encoded bytes
    // (wire_) stay alive with this object until then. Its frames go back to the caller.
    return std::exchange(batch_, {});
}

}  // namespace confab::client
