// Outbox: one connection's bounded queue of shared frames waiting for the socket.
// Owned and used by the connection's loop only. An idle connection's outbox holds no heap
// memory: the ring is allocated on first use.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/shared_frame.hpp"

namespace confab::net {

struct OutboxLimits {
    std::uint32_t max_messages = 256;      // data frames queued
    std::size_t max_bytes = 4u << 20;      // bytes of data frames queued
};

// Backpressure is in the return type: the caller must decide what a full queue means.
enum class PushResult { Queued, Overflow };

// Droppable frames (QoS 0: typing, presence) may use only half the queue, so a backlog of
// them never crowds out frames that must be delivered.
enum class Priority { Normal, Droppable };

class Outbox {
public:
    explicit Outbox(OutboxLimits limits = {}) : limits_(limits) {}

    // Queues a data frame unless that would pass a limit (then nothing is queued). An empty
    // queue accepts any one frame, however large.
    PushResult push(FrameRef frame, Priority priority = Priority::Normal);
    // Queues a frame behind the data already queued, whatever the limits (e.g. the Close that
    // answers a peer's Close must follow the replies to what the peer sent before it).
    void push_after_data(FrameRef frame);
    // Queues a control frame (pong, ping, close). Never refused, and it goes ahead of every
    // queued data frame except one already partly written (a frame can't be split).
    void push_control(FrameRef frame);
    // Drops every data frame not yet started (before a Close: nothing may follow it).
    void drop_unstarted_data();

    // Fills up to `max` iovecs with the bytes to write next, in wire order; returns the count.
    std::size_t gather(iovec* out, std::size_t max) const;
    // Marks `bytes` (a prefix of what gather() returned) as written.
    void consume(std::size_t bytes);

    bool empty() const { return data_count_ == 0 && control_.empty(); }
    // Frees the queue's memory while nothing is queued (an idle connection then holds none);
    // the next push allocates again. Called on the loop's tick, not per write.
    void release_memory_if_empty();
    // Data frames the ring can hold before it grows (0: no memory held).
    std::uint32_t ring_capacity() const { return capacity_; }
    std::uint32_t data_messages() const { return data_count_; }
    std::size_t data_bytes() const { return data_bytes_; }

private:
    const FrameRef& data_at(std::uint32_t i) const { return ring_[(head_ + i) & (capacity_ - 1)]; }
    void pop_data();
    void grow();

    OutboxLimits limits_;
    // Data frames in a power-of-two ring.
    std::unique_ptr<FrameRef[]> ring_;
    std::uint32_t capacity_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t data_count_ = 0;
    std::size_t data_bytes_ = 0;  // sizes of queued data frames (a partly written one counts whole)
    // Control frames, rare, in order.
    std::vector<FrameRef> control_;
    // Bytes of the front frame already written, and which queue that front frame is in.
    // Invariant: offset_ > 0 only while the front frame is partly written.
    std::size_t offset_ = 0;
    bool front_is_data_ = false;
};

}  // namespace confab::net
