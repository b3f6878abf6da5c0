// The client's own I/O thread: an io_context run by one thread until stop(). It keeps itself
// alive while its thread runs, so a client closed from inside one of its callbacks (on this
// very thread) can let the thread finish on its own. Any thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <thread>

namespace confab::client {

class IoThread : public std::enable_shared_from_this<IoThread> {
public:
    static std::shared_ptr<IoThread> start();
    ~IoThread();
    IoThread(const IoThread&) = delete;
    IoThread& operator=(const IoThread&) = delete;

    boost::asio::io_context& context() { return io_; }
    bool is_current() const { return std::this_thread::get_id() == thread_.get_id(); }

    // Lets run() return once no work is left (the caller has cancelled everything), then
    // waits for the thread; from the thread itself it cannot wait (the thread ends when its
    // current handler returns and is joined by a later call or the destructor). Idempotent;
    // one caller at a time.
    void stop_and_join();

private:
    IoThread();

    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::thread thread_;
};

}  // namespace confab::client
