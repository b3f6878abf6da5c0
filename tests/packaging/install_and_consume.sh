#!/bin/sh
# Installs a confab build tree into a fresh prefix, then builds examples/hello_client.cpp
# against that prefix as an outside project would, twice: with CMake (find_package, see
# consumer/) and with pkg-config (static flags). Each program must run: with a bad argument
# count it exits 2. Any failing step fails the test.
#
#   install_and_consume.sh BUILD_DIR SOURCE_DIR CXX GENERATOR [SANITIZER_FLAGS]
#
# SANITIZER_FLAGS: the -fsanitize flags the build tree was made with; objects built with
# them need them at link time too, so the consumers get them. CMAKE: the cmake to use.
set -eu
build=$1 source=$2 cxx=$3 generator=$4 sanitize=${5:-}
cmake=${CMAKE:-cmake}

work=$(mktemp -d "${TMPDIR:-/tmp}/confab-packaging-XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { echo "--- $*"; }

expect_usage_exit() {  # the example's own argument check: exit status 2
    status=0
    "$1" > "$work/run.out" 2>&1 || status=$?
    if [ "$status" -ne 2 ]; then
        cat "$work/run.out"
        echo "FAIL: $1 without arguments exited $status, expected 2"
        exit 1
    fi
}

step "cmake --install into $prefix"
"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; exit 1; }
for f in bin/confab include/confab/client.hpp include/confab/error.hpp include/confab/message.hpp; do
    [ -e "$prefix/$f" ] || { echo "FAIL: $f is not installed"; exit 1; }
done
pc=$(find "$prefix" -name confab.pc)
[ -n "$pc" ] || { echo "FAIL: confab.pc is not installed"; exit 1; }
# One library for users: no internal archive (libconfab_pure.a, ...) or test binary leaks.
if find "$prefix" -name 'libconfab_*' -o -name '*test*' | grep .; then
    echo "FAIL: internal targets are installed"
    exit 1
fi

step "CMake consumer: find_package(confab) + confab::client"
"$cmake" -S "$source/tests/packaging/consumer" -B "$work/cmake-consumer" -G "$generator" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_FLAGS="$sanitize" -DCMAKE_EXE_LINKER_FLAGS="$sanitize" \
    -DCONFAB_EXAMPLE_SOURCE="$source/examples/hello_client.cpp" > "$work/configure.log" \
    || { cat "$work/configure.log"; exit 1; }
found=$(sed -n 's/^confab_DIR:PATH=//p' "$work/cmake-consumer/CMakeCache.txt")
case $found in
    "$prefix"/*) ;;
    *) echo "FAIL: find_package(confab) found $found, not the fresh install"; exit 1 ;;
esac
"$cmake" --build "$work/cmake-consumer" -j 2
expect_usage_exit "$work/cmake-consumer/hello_client"

step "pkg-config consumer: \$(pkg-config --cflags --libs [--static] confab)"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
# shellcheck disable=SC2046  # the flags are words
"$cxx" -std=c++20 $sanitize -c -o "$work/hello_client.o" "$source/examples/hello_client.cpp" \
    $(pkg-config --cflags confab)
for static in "" --static; do
    flags=$(pkg-config --libs $static confab)
    echo "pkg-config --libs $static confab: $flags"
    # shellcheck disable=SC2086
    "$cxx" $sanitize -o "$work/hello_client_pc" "$work/hello_client.o" $flags
    expect_usage_exit "$work/hello_client_pc"
done

echo "OK: the installed package builds and links examples/hello_client.cpp both ways"
