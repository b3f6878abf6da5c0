#include "fault_proxy.hpp"

#include <array>
#include <boost/asio.hpp>
#include <future>
#include <list>

namespace confab::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One accepted connection and its upstream twin, pumping both ways.
class Pair : public std::enable_shared_from_this<Pair> {
public:
    struct Faults {
        const std::atomic<bool>& blackhole;
        const std::atomic<std::int64_t>& delay_ms;
    };

    Pair(tcp::socket client, asio::io_context& io, Faults faults)
        : client_(std::move(client)), upstream_(io), faults_(faults) {}

    void start(std::uint16_t upstream_port) {
        upstream_.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), upstream_port),
                                [self = shared_from_this()](const boost::system::error_code& ec) {
                                    if (ec) return self->reset();
                                    self->pump(self->client_, self->upstream_, self->up_buf_);
                                    self->pump(self->upstream_, self->client_, self->down_buf_);
                                });
    }

    // Closes both sides with an RST (SO_LINGER 0): a cut cable, not a goodbye.
    void reset() {
        boost::system::error_code ignored;
        for (tcp::socket* s : {&client_, &upstream_}) {
            if (!s->is_open()) continue;
            s->set_option(asio::socket_base::linger(true, 0), ignored);
            s->close(ignored);
        }
    }

    bool closed() const { return !client_.is_open() && !upstream_.is_open(); }

private:
    using Buffer = std::array<char, 64 * 1024>;

    void pump(tcp::socket& from, tcp::socket& to, Buffer& buf) {
        from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf](
                                                    const boost::system::error_code& ec,
                                                    std::size_t n) {
            if (ec) return self->reset();
            if (self->faults_.blackhole.load()) return self->pump(from, to, buf);  // dropped
            const auto delay = std::chrono::milliseconds(self->faults_.delay_ms.load());
            if (delay.count() == 0) return self->forward(from, to, buf, n);
            auto timer = std::make_shared<asio::steady_timer>(from.get_executor(), delay);
            timer->async_wait([self, timer, &from, &to, &buf, n](const boost::system::error_code&) {
                self->forward(from, to, buf, n);
            });
        });
    }

    void forward(tcp::socket& from, tcp::socket& to, Buffer& buf, std::size_t n) {
        asio::async_write(to, asio::buffer(buf.data(), n),
                          [self = shared_from_this(), &from, &to, &buf](
                              const boost::system::error_code& ec, std::size_t) {
                              if (ec) return self->reset();
                              self->pump(from, to, buf);
                          });
    }

    tcp::socket client_;
    tcp::socket upstream_;
    Faults faults_;
    Buffer up_buf_{};
    Buffer down_buf_{};
};

class FaultProxy::Engine {
public:
    Engine(FaultProxy& owner)
        : owner_(owner), acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    asio::io_context& io() { return io_; }

    void accept() {
        acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
            if (ec) return;  // the acceptor was closed: stopping
            owner_.accepted_.fetch_add(1);
            if (owner_.refuse_.load()) {
                boost::system::error_code ignored;
                s.set_option(asio::socket_base::linger(true, 0), ignored);
                s.close(ignored);
            } else {
                auto pair = std::make_shared<Pair>(
                    std::move(s), io_, Pair::Faults{owner_.blackhole_, owner_.delay_ms_});
                pairs_.remove_if([](const std::weak_ptr<Pair>& p) {
                    auto live = p.lock();
                    return !live || live->closed();
                });
                pairs_.push_back(pair);
                pair->start(owner_.upstream_.load());
            }
            accept();
        });
    }

    void cut_all() {
        for (auto& weak : pairs_) {
            if (auto p = weak.lock()) p->reset();
        }
        pairs_.clear();
    }

    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        cut_all();
    }

private:
    FaultProxy& owner_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    std::list<std::weak_ptr<Pair>> pairs_;  // io thread only
};

FaultProxy::FaultProxy(std::uint16_t upstream_port)
    : engine_(std::make_unique<Engine>(*this)), upstream_(upstream_port) {
    port_ = engine_->port();
    engine_->accept();
    thread_ = std::thread([this] { engine_->io().run(); });
}

FaultProxy::~FaultProxy() {
    asio::post(engine_->io(), [this] { engine_->stop(); });
    thread_.join();  // run() returns once the acceptor and every pair are gone
}

void FaultProxy::cut() {
    std::promise<void> done;
    asio::post(engine_->io(), [this, &done] {
        engine_->cut_all();
        done.set_value();
    });
    done.get_future().wait();
}

}  // namespace confab::testing
