// SharedFrame: immutable bytes written to many sockets (encode once, write many).
// The reference count is atomic, so a FrameRef may be copied and released on any loop;
// the bytes never change after make() returns.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace confab {

class FrameRef;

// One allocation: this header followed by the bytes.
class SharedFrame {
public:
    std::size_t size() const { return size_; }
    const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(this + 1); }
    std::string_view view() const { return {reinterpret_cast<const char*>(data()), size_}; }

    // Allocates a frame of `size` bytes; `fill` writes them through a mutable pointer exactly
    // once, before the frame is shared. Aborts on allocation failure (like operator new).
    template <typename Fill>
    static FrameRef make(std::size_t size, Fill&& fill);
    static FrameRef copy_of(std::string_view bytes);

private:
    friend class FrameRef;
    explicit SharedFrame(std::size_t size) : size_(size) {}
    static SharedFrame* allocate(std::size_t size);
    std::uint8_t* mutable_data() { return reinterpret_cast<std::uint8_t*>(this + 1); }
    void retain() { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release();

    std::atomic<std::uint32_t> refs_{1};
    std::uint32_t reserved_ = 0;
    std::size_t size_;
};

// Intrusive, 8-byte owning pointer to a SharedFrame (half a shared_ptr, one allocation).
class FrameRef {
public:
    FrameRef() = default;
    FrameRef(const FrameRef& o) : p_(o.p_) {
        if (p_) p_->retain();
    }
    FrameRef(FrameRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    FrameRef& operator=(FrameRef o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~FrameRef() {
        if (p_) p_->release();
    }

    explicit operator bool() const { return p_ != nullptr; }
    const SharedFrame* operator->() const { return p_; }
    const SharedFrame& operator*() const { return *p_; }
    const SharedFrame* get() const { return p_; }

private:
    friend class SharedFrame;
    explicit FrameRef(SharedFrame* adopt) : p_(adopt) {}
    SharedFrame* p_ = nullptr;
};

template <typename Fill>
FrameRef SharedFrame::make(std::size_t size, Fill&& fill) {
    SharedFrame* f = allocate(size);
    fill(f->mutable_data());
    return FrameRef(f);
}

}  // namespace confab
