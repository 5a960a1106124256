#!/usr/bin/env bash
# Installs the FHIR validators of tests/fhir (npm ci from package-lock.json)
# when they are missing or older than the lock file. Idempotent; run by
# scripts/setup.sh and by the test that uses them.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ]; then
	exit 0
fi
echo "carelog: installing the FHIR validators (npm ci in tests/fhir)" >&2
npm ci --no-audit --no-fund --loglevel=error >/dev/null
