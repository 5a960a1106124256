#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer and UBSan, and runs
# every test (unit, CLI, crash, concurrency, install, headers, git servers).
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build-test -DCARELOG_ENABLE_SANITIZERS=ON -DCMAKE_BUILD_TYPE=Debug
ctest --test-dir build-test --output-on-failure -j2 "$@"
