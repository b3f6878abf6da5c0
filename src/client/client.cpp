// confab::Client: the public facade. Validates the URL and options, picks the I/O thread,
// and forwards everything to the ClientCore.
#include <confab/client.hpp>

#include "client/client_core.hpp"
#include "client/io_thread.hpp"
#include "client/v1_codec.hpp"
#include "client/ws_url.hpp"

namespace confab {
inline namespace client_v1 {

namespace {

Result<void> check_options(const ClientOptions& o) {
    using namespace std::chrono_literals;
    auto bad = [](std::string what) {
        return make_error(ErrorCode::InvalidArgument, "invalid option: " + std::move(what));
    };
    if (!client::wire::is_valid_nick(o.nick)) return bad("nick must be 1-32 of A-Z a-z 0-9 . _ -");
    if (o.reconnect.initial_delay < 0ms || o.reconnect.max_delay < o.reconnect.initial_delay ||
        !(o.reconnect.multiplier >= 1.0)) {
        return bad("reconnect: need 0 <= initial_delay <= max_delay and multiplier >= 1");
    }
    if (o.connect_timeout <= 0ms || o.ping_interval <= 0ms || o.pong_timeout <= 0ms) {
        return bad("connect_timeout, ping_interval and pong_timeout must be positive");
    }
    if (o.drop_after < 0ms) return bad("drop_after must not be negative");
    if (o.outbox_limit == 0 || o.qos0_queue_limit == 0) return bad("queue limits must be > 0");
    if (o.max_message_size < 1024) return bad("max_message_size must be at least 1 KiB");
    return {};
}

}  // namespace

std::string_view to_string(ConnectionState state) {
    switch (state) {
        case ConnectionState::Connecting:
            return "connecting";
        case ConnectionState::Connected:
            return "connected";
        case ConnectionState::Disconnected:
            return "disconnected";
        case ConnectionState::Closed:
            return "closed";
    }
    return "unknown";
}

Result<Client> Client::make(boost::asio::io_context* io, std::string_view url,
                            ClientOptions options) {
    auto parsed = client::parse_ws_url(url);
    if (!parsed) return tl::unexpected(parsed.error());
    if (auto ok = check_options(options); !ok) return tl::unexpected(ok.error());
    std::shared_ptr<client::IoThread> thread;
    if (io == nullptr) {
        thread = client::IoThread::start();
        io = &thread->context();
    }
    auto core =
        std::make_shared<client::ClientCore>(*io, thread, std::move(*parsed), std::move(options));
    core->begin();
    return Client(std::move(core));
}

Result<Client> Client::create(std::string_view url, ClientOptions options) {
    return make(nullptr, url, std::move(options));
}

Result<Client> Client::create(boost::asio::io_context& io, std::string_view url,
                              ClientOptions options) {
    return make(&io, url, std::move(options));
}

Client::Client(std::shared_ptr<client::ClientCore> core) : core_(std::move(core)) {}
Client::Client(Client&&) noexcept = default;

Client& Client::operator=(Client&& other) noexcept {
    if (this != &other) {
        close();
        core_ = std::move(other.core_);
    }
    return *this;
}

Client::~Client() {
    close();
}

Result<void> Client::join(std::string_view room, RoomHandlers handlers, JoinOptions options) {
    if (!core_) return make_error(ErrorCode::Closed, "moved-from client");
    return core_->join(room, std::move(handlers), std::move(options));
}

Result<void> Client::leave(std::string_view room) {
    if (!core_) return make_error(ErrorCode::Closed, "moved-from client");
    return core_->leave(room);
}

Result<Publication> Client::publish(std::string_view room, std::string_view data_json,
                                    PublishOptions options) {
    if (!core_) return make_error(ErrorCode::Closed, "moved-from client");
    return core_->publish(room, data_json, std::move(options));
}

Result<std::string> Client::publish(std::string_view room, std::string_view data_json,
                                    PublishOptions options, PublishCallback done) {
    if (!core_) return make_error(ErrorCode::Closed, "moved-from client");
    return core_->publish(room, data_json, std::move(options), std::move(done));
}

void Client::members(std::string_view room, MembersCallback done) {
    if (core_) core_->members(room, std::move(done));
}

ConnectionState Client::state() const {
    return core_ ? core_->state() : ConnectionState::Closed;
}

void Client::close() {
    if (core_) core_->close();
}

}  // namespace client_v1
}  // namespace confab
