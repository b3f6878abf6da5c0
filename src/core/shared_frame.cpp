#include "core/shared_frame.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace confab {

SharedFrame* SharedFrame::allocate(std::size_t size) {
    void* mem = std::malloc(sizeof(SharedFrame) + size);
    if (!mem) throw std::bad_alloc();
    return new (mem) SharedFrame(size);
}

void SharedFrame::release() {
    // acq_rel: the last owner must see every write made before other owners released.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        this->~SharedFrame();
        std::free(this);
    }
}

FrameRef SharedFrame::copy_of(std::string_view bytes) {
    return make(bytes.size(), [&](std::uint8_t* out) {
        if (!bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
    });
}

}  // namespace confab
