#include "net/outbox.hpp"

#include <algorithm>
#include <cassert>

namespace confab::net {

PushResult Outbox::push(FrameRef frame, Priority priority) {
    std::size_t size = frame->size();
    std::uint32_t max_messages = limits_.max_messages;
    std::size_t max_bytes = limits_.max_bytes;
    if (priority == Priority::Droppable) {
        max_messages /= 2;
        max_bytes /= 2;
    }
    // An empty queue takes any one frame: a message may be larger than the byte limit (it is
    // bounded by the message size limit instead) and must still be deliverable.
    if (data_count_ > 0 && (data_count_ >= max_messages || data_bytes_ + size > max_bytes)) {
        return PushResult::Overflow;
    }
    push_after_data(std::move(frame));
    return PushResult::Queued;
}

void Outbox::push_after_data(FrameRef frame) {
    if (data_count_ == capacity_) grow();
    data_bytes_ += frame->size();
    ring_[(head_ + data_count_) & (capacity_ - 1)] = std::move(frame);
    ++data_count_;
}

void Outbox::push_control(FrameRef frame) { control_.push_back(std::move(frame)); }

void Outbox::drop_unstarted_data() {
    std::uint32_t keep = (offset_ > 0 && front_is_data_) ? 1 : 0;
    while (data_count_ > keep) {
        // Pop from the back: the ring's tail.
        std::uint32_t last = (head_ + data_count_ - 1) & (capacity_ - 1);
        data_bytes_ -= ring_[last]->size();
        ring_[last] = FrameRef();
        --data_count_;
    }
}

void Outbox::release_memory_if_empty() {
    if (!empty()) return;
    ring_.reset();
    capacity_ = 0;
    head_ = 0;
    std::vector<FrameRef>().swap(control_);
}

void Outbox::grow() {
    // Start small: most connections never have more than a few frames in flight.
    std::uint32_t next = capacity_ == 0 ? 4 : capacity_ * 2;
    auto ring = std::make_unique<FrameRef[]>(next);
    for (std::uint32_t i = 0; i < data_count_; ++i) ring[i] = std::move(ring_[(head_ + i) & (capacity_ - 1)]);
    ring_ = std::move(ring);
    capacity_ = next;
    head_ = 0;
}

void Outbox::pop_data() {
    data_bytes_ -= ring_[head_]->size();
    ring_[head_] = FrameRef();
    head_ = (head_ + 1) & (capacity_ - 1);
    --data_count_;
}

std::size_t Outbox::gather(iovec* out, std::size_t max) const {
    std::size_t n = 0;
    auto add = [&](const FrameRef& f, std::size_t skip) {
        out[n].iov_base = const_cast<std::uint8_t*>(f->data() + skip);
        out[n].iov_len = f->size() - skip;
        ++n;
    };
    std::uint32_t first_data = 0;
    // A partly written data frame must finish before any control frame.
    if (offset_ > 0 && front_is_data_ && n < max) {
        add(data_at(0), offset_);
        first_data = 1;
    }
    for (std::size_t i = 0; i < control_.size() && n < max; ++i) {
        add(control_[i], (i == 0 && offset_ > 0 && !front_is_data_) ? offset_ : 0);
    }
    for (std::uint32_t i = first_data; i < data_count_ && n < max; ++i) add(data_at(i), 0);
    return n;
}

void Outbox::consume(std::size_t bytes) {
    while (bytes > 0) {
        bool data_first = (offset_ > 0 && front_is_data_) || control_.empty();
        const FrameRef& front = data_first ? data_at(0) : control_.front();
        std::size_t left = front->size() - offset_;
        if (bytes < left) {
            offset_ += bytes;
            front_is_data_ = data_first;
            return;
        }
        bytes -= left;
        if (data_first) {
            pop_data();
        } else {
            control_.erase(control_.begin());
        }
        offset_ = 0;
    }
}

}  // namespace confab::net
