#!/usr/bin/env bash
# Installs what is missing, builds carelog, and runs the demonstration: a
# caregiver keeps a child's ALPS log on a phone with no network. Idempotent:
# every run starts a fresh store under ./demo-store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build -DCMAKE_BUILD_TYPE=Release -DCARELOG_BUILD_TESTS=OFF
exec scripts/demo-story.sh build/cli/carelog "${DEMO_STORE:-$PWD/demo-store}"
