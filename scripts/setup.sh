#!/usr/bin/env bash
# Installs what carelog needs from Debian's packages (only what is missing)
# and builds it. Idempotent. Usage: scripts/setup.sh [BUILD_DIR] [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config git tzdata jq util-linux
          libsqlite3-dev libgit2-dev zlib1g-dev libjansson-dev libcmocka-dev faketime)
# The real git servers the sync tests start on loopback (tests/servers/):
# git daemon comes with git; smart HTTP is git's http-backend behind nginx
# (through fcgiwrap) or lighttpd, and over TLS with a test CA openssl makes;
# ssh needs sshd and ssh-agent; ss (iproute2) tells whose a listening port
# is. spawn-fcgi is named so that fcgiwrap's "systemd | spawn-fcgi"
# dependency never brings in systemd. These come without their recommends,
# which the tests do not use.
server_packages=(nginx fcgiwrap spawn-fcgi lighttpd openssh-server openssh-client openssl iproute2)
# The visit report's browser test (tests/report/): headless Chromium prints
# the report to PDF offline, poppler-utils counts its pages and reads its
# text back, python3-html5lib parses the HTML as browsers do. chromium is
# big (with chromium-common and GTK over 350 MB installed on Debian 12);
# these too come without their recommends.
report_packages=(chromium poppler-utils python3-html5lib)

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_servers < <(missing_of "${server_packages[@]}" "${report_packages[@]}")
if [ $((${#missing[@]} + ${#missing_servers[@]})) -gt 0 ]; then
  echo "carelog: installing ${missing[*]:-}${missing[*]:+ }${missing_servers[*]:-}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_install() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  $sudo apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  if [ ${#missing_servers[@]} -gt 0 ]; then
    # The postinst scripts of nginx, lighttpd and openssh-server (and of
    # dbus, should chromium bring it in) start their system services (ports
    # 80 and 22). The tests never use those: each test
    # runs its own server as the current user on a free loopback port. In a
    # container without an init system starting them fails and can fail the
    # install; elsewhere it would leave a web server on port 80 nobody asked
    # for. So, only while these install, a policy-rc.d forbids starting any
    # service (exit 101, invoke-rc.d's "action forbidden"), and it is removed
    # right after, even on failure. A policy-rc.d already there (Docker images
    # ship one) is left as it is. Units stay enabled as Debian installs them:
    # on a machine that boots with systemd they start at its next boot.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
      trap '$sudo rm -f "$policy"' EXIT
      printf '#!/bin/sh\n# scripts/setup.sh (carelog): no service starts during its install\nexit 101\n' |
        $sudo tee "$policy" >/dev/null
      $sudo chmod 755 "$policy"
      apt_install --no-install-recommends "${missing_servers[@]}"
      $sudo rm -f "$policy"
      trap - EXIT
    else
      apt_install --no-install-recommends "${missing_servers[@]}"
    fi
  fi
fi

# The FHIR validators the exchange tests run (tests/fhir: npm packages, not a
# dependency of the library) need Node.js and npm: Debian's, unless the
# machine has them already.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "carelog: installing nodejs npm" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
tests/fhir/install.sh

build=${1:-build}
shift || true
cmake -S . -B "$build" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
