#include "client/io_thread.hpp"

#include <cstdio>
#include <exception>

namespace confab::client {

IoThread::IoThread() : io_(1), work_(boost::asio::make_work_guard(io_)) {}

std::shared_ptr<IoThread> IoThread::start() {
    std::shared_ptr<IoThread> t(new IoThread());
    t->thread_ = std::thread([self = t]() mutable {
        for (;;) {
            try {
                self->io_.run();
                break;
            } catch (const std::exception& e) {  // never expected: handlers do not throw
                std::fprintf(stderr, "confab client: I/O loop error: %s\n", e.what());
            }
        }
        // If the owner detached us (stop from this thread), this may be the last reference:
        // the IoThread is then destroyed here, after run() has returned.
        self.reset();
    });
    return t;
}

IoThread::~IoThread() {
    if (thread_.joinable()) {
        if (is_current()) {
            thread_.detach();
        } else {
            work_.reset();
            thread_.join();
        }
    }
}

void IoThread::stop_and_join() {
    work_.reset();
    // On the thread itself (close() from a callback) it cannot be joined; it ends when the
    // callback returns, and a later call from another thread (or the destructor) joins it.
    if (thread_.joinable() && !is_current()) thread_.join();
}

}  // namespace confab::client
