// fd_test.cpp: kit::UniqueFd, the one owner of every descriptor in the kit. Whether a
// descriptor is open is asked of the kernel: fcntl(fd, F_GETFD) fails with EBADF once
// it is closed.
#include "test_support.hpp"

#include "fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace {
bool isOpen(int fd) {
    errno = 0;
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

int openDevNull() {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    return fd;
}
} // namespace

TEST_CASE("a UniqueFd closes its descriptor when it goes out of scope", "[fd]") {
    int number = -1;
    {
        const kit::UniqueFd fd(openDevNull());
        number = fd.get();
        REQUIRE(static_cast<bool>(fd));
        REQUIRE(isOpen(number));
    }
    CHECK_FALSE(isOpen(number));
}

TEST_CASE("moving a UniqueFd hands the descriptor over without closing it", "[fd]") {
    kit::UniqueFd first(openDevNull());
    const int number = first.get();
    kit::UniqueFd second(std::move(first));
    CHECK(first.get() == -1);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    CHECK_FALSE(static_cast<bool>(first));
    CHECK(second.get() == number);
    CHECK(isOpen(number));
    kit::UniqueFd third;
    third = std::move(second);
    CHECK(third.get() == number);
    CHECK(isOpen(number));
}

TEST_CASE("move-assigning or resetting a UniqueFd closes the descriptor it held", "[fd]") {
    kit::UniqueFd a(openDevNull());
    kit::UniqueFd b(openDevNull());
    const int oldA = a.get();
    const int numberB = b.get();
    a = std::move(b);
    CHECK_FALSE(isOpen(oldA));
    CHECK(a.get() == numberB);
    a.reset();
    CHECK_FALSE(isOpen(numberB));
    CHECK(a.get() == -1);
}

TEST_CASE("release() gives the descriptor up without closing it", "[fd]") {
    int number = -1;
    {
        kit::UniqueFd fd(openDevNull());
        number = fd.release();
        CHECK(fd.get() == -1);
    }
    REQUIRE(isOpen(number));
    ::close(number);
}
