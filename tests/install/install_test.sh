#!/usr/bin/env bash
# Install test: `cmake --install` the build tree into a fresh prefix, then
# build tests/install/consumer/consumer.c against the installed carelog
#   1. as a CMake project: find_package(carelog) + carelog::carelog
#   2. as a CMake project linking carelog::carelog_static
#   3. with `pkg-config --cflags --libs carelog`
# and run each: it creates a store and writes and reads records through the
# public API.
#
#   install_test.sh BUILD-DIR CMAKE C-COMPILER SANITIZERS(ON|OFF) VERSION
set -u
BUILD=${1:?usage: $0 BUILD-DIR CMAKE CC SANITIZERS VERSION}
CMAKE=${2:?}
CC=${3:?}
SAN=${4:?}
VERSION=${5:?}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/carelog-install.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
step() { echo "--- $*"; }

SANFLAGS=""
case $SAN in ON | on | 1 | TRUE | true | YES | yes) SANFLAGS="-fsanitize=address,undefined" ;; esac
# the installed library is loaded from the prefix, never from the build tree
unset LD_LIBRARY_PATH

step "cmake --install $BUILD --prefix $PREFIX"
if ! "$CMAKE" --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1; then
	cat "$TMP/install.log" >&2
	fail "cmake --install failed"
	exit 1
fi
LIBDIR=$(dirname "$(find "$PREFIX" -name 'carelog.pc' | head -1)")
LIBDIR=${LIBDIR%/pkgconfig}
[ -n "$LIBDIR" ] && [ -d "$LIBDIR" ] || { fail "no carelog.pc installed"; find "$PREFIX" >&2; exit 1; }
echo "libdir: $LIBDIR"
for f in include/carelog.h include/carelog/common.h include/carelog/store.h \
	include/carelog/record.h include/carelog/write.h include/carelog/query.h bin/carelog; do
	[ -f "$PREFIX/$f" ] || fail "$f not installed"
done
for f in libcarelog.a libcarelog.so cmake/carelog/carelogConfig.cmake \
	cmake/carelog/carelogConfigVersion.cmake cmake/carelog/carelogTargets.cmake; do
	[ -e "$LIBDIR/$f" ] || fail "$LIBDIR/$f not installed"
done
# every public header of the source tree is installed
for h in "$HERE"/../../engine/include/carelog/*.h; do
	[ -f "$PREFIX/include/carelog/$(basename "$h")" ] || fail "include/carelog/$(basename "$h") not installed"
done
# carelog.pc is relocatable (prefix from ${pcfiledir}): it must resolve to the prefix
pc_inc=$(PKG_CONFIG_PATH="$LIBDIR/pkgconfig" pkg-config --variable=includedir carelog)
[ "$(realpath -m "$pc_inc")" = "$(realpath -m "$PREFIX/include")" ] \
	|| fail "carelog.pc's includedir $pc_inc is not $PREFIX/include"
if grep -rqs "$BUILD" "$LIBDIR/cmake/carelog" "$LIBDIR/pkgconfig"; then
	fail "the installed package files refer to the build tree: $(grep -rl "$BUILD" "$LIBDIR/cmake/carelog" "$LIBDIR/pkgconfig")"
fi

# run_consumer NAME BINARY: runs it on a fresh store directory
run_consumer() {
	local name=$1 bin=$2 out
	if ! out=$("$bin" "$TMP/store-$name" "$VERSION" 2>&1); then
		fail "$name consumer failed: $out"
		return
	fi
	if [ "$out" != "ok $VERSION" ]; then
		fail "$name consumer printed '$out', expected 'ok $VERSION'"
		return
	fi
	[ -f "$TMP/store-$name/device.json" ] || fail "$name consumer made no store"
	echo "$name consumer: $out"
}

# the shared library the consumer loads must be the installed one
check_loads_installed() {
	local name=$1 bin=$2 lib
	lib=$(ldd "$bin" 2>/dev/null | awk '/libcarelog\.so/ { print $3 }')
	case $lib in
	"") ;; # static
	"$LIBDIR"/*) ;;
	*) fail "$name consumer loads libcarelog from '$lib', not from $LIBDIR" ;;
	esac
}

for variant in shared static; do
	step "CMake consumer, find_package(carelog), $variant"
	static=OFF
	[ $variant = static ] && static=ON
	if "$CMAKE" -S "$HERE/consumer" -B "$TMP/cmake-$variant" \
		-DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_C_COMPILER="$CC" \
		-DCMAKE_C_FLAGS="$SANFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$SANFLAGS" \
		-DCONSUMER_STATIC=$static -DCMAKE_BUILD_TYPE=Debug >"$TMP/cmake-$variant.log" 2>&1 &&
		"$CMAKE" --build "$TMP/cmake-$variant" >>"$TMP/cmake-$variant.log" 2>&1; then
		check_loads_installed "cmake-$variant" "$TMP/cmake-$variant/consumer"
		run_consumer "cmake-$variant" "$TMP/cmake-$variant/consumer"
		if [ $variant = static ] && ldd "$TMP/cmake-$variant/consumer" | grep -q libcarelog; then
			fail "the carelog::carelog_static consumer loads libcarelog.so"
		fi
	else
		tail -30 "$TMP/cmake-$variant.log" >&2
		fail "building the CMake consumer ($variant) failed"
	fi
done

step "pkg-config consumer"
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
if ! flags=$(pkg-config --cflags --libs carelog 2>&1); then
	fail "pkg-config --cflags --libs carelog: $flags"
else
	echo "pkg-config --cflags --libs carelog: $flags"
	[ "$(pkg-config --modversion carelog)" = "$VERSION" ] || fail "pkg-config --modversion: $(pkg-config --modversion carelog)"
	# shellcheck disable=SC2086
	if "$CC" -std=c11 -Wall -Wextra -Werror -pedantic $SANFLAGS -o "$TMP/pc-consumer" \
		"$HERE/consumer/consumer.c" $flags -lm -Wl,-rpath,"$LIBDIR" >"$TMP/pc.log" 2>&1; then
		check_loads_installed pkg-config "$TMP/pc-consumer"
		run_consumer pkg-config "$TMP/pc-consumer"
	else
		cat "$TMP/pc.log" >&2
		fail "building with pkg-config flags failed"
	fi
fi

step "installed carelog program"
if out=$(LD_LIBRARY_PATH=$LIBDIR "$PREFIX/bin/carelog" --version 2>&1) && [ "$out" = "carelog $VERSION" ]; then
	echo "bin/carelog --version: $out"
else
	fail "installed bin/carelog --version: $out"
fi

if [ $FAILS -gt 0 ]; then
	echo "install test: $FAILS failures" >&2
	exit 1
fi
echo "install test: all passed"
