// SharedFrame / FrameRef: one immutable allocation shared by reference count.
#include "core/shared_frame.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <thread>
#include <vector>

namespace confab {
namespace {

TEST(SharedFrame, CopyOfHoldsTheBytes) {
    FrameRef f = SharedFrame::copy_of("hello");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->size(), 5u);
    EXPECT_EQ(f->view(), "hello");
    EXPECT_EQ(std::memcmp(f->data(), "hello", 5), 0);
}

TEST(SharedFrame, MakeCallsFillOnceWithRoomForTheSize) {
    int calls = 0;
    FrameRef f = SharedFrame::make(4, [&](std::uint8_t* out) {
        ++calls;
        std::memcpy(out, "abcd", 4);
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(f->view(), "abcd");
}

TEST(SharedFrame, EmptyFrameIsValid) {
    FrameRef f = SharedFrame::copy_of({});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->size(), 0u);
    EXPECT_TRUE(f->view().empty());
}

TEST(SharedFrame, BytesAreStoredRightAfterTheHeader) {
    FrameRef f = SharedFrame::copy_of("x");
    EXPECT_EQ(static_cast<const void*>(f->data()), static_cast<const void*>(f.get() + 1));
}

TEST(FrameRef, DefaultIsEmpty) {
    FrameRef f;
    EXPECT_FALSE(f);
    EXPECT_EQ(f.get(), nullptr);
    EXPECT_EQ(sizeof(FrameRef), sizeof(void*));
}

TEST(FrameRef, CopiesShareOneFrame) {
    FrameRef a = SharedFrame::copy_of("shared");
    FrameRef b = a;
    FrameRef c;
    c = b;
    EXPECT_EQ(a.get(), b.get());
    EXPECT_EQ(a.get(), c.get());
    a = FrameRef();
    b = FrameRef();
    EXPECT_EQ(c->view(), "shared");  // still alive through c (ASan would catch a free)
}

TEST(FrameRef, MoveLeavesTheSourceEmpty) {
    FrameRef a = SharedFrame::copy_of("moved");
    const SharedFrame* raw = a.get();
    FrameRef b = std::move(a);
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the documented state
    EXPECT_EQ(b.get(), raw);
    FrameRef c;
    c = std::move(b);
    EXPECT_FALSE(b);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c->view(), "moved");
}

TEST(FrameRef, SelfAssignmentKeepsTheFrame) {
    FrameRef a = SharedFrame::copy_of("self");
    const FrameRef& alias = a;
    a = alias;
    EXPECT_EQ(a->view(), "self");
}

TEST(FrameRef, CopiesReleasedOnManyThreadsFreeOnce) {
    // Leaks or double frees show up under AddressSanitizer; the bytes must stay intact.
    FrameRef original = SharedFrame::copy_of(std::string(1000, 'q'));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([copy = original]() mutable {
            for (int i = 0; i < 10000; ++i) {
                FrameRef local = copy;
                ASSERT_EQ(local->view()[999], 'q');
            }
        });
    }
    original = FrameRef();
    for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace confab
