#!/usr/bin/env bash
# `carelog init` creates the store directory "if missing" (init --help),
# parents included: on a fresh account neither $XDG_DATA_HOME nor
# ~/.local/share need exist yet, and `carelog init` with no --store must work.
source "$(dirname "$0")/lib.sh" "$@"

section "init creates the default store's missing parent directories"
# The store directory is "created if missing" (init --help); on a fresh
# account neither $XDG_DATA_HOME nor ~/.local/share need exist yet.
HOME=$TMP/fresh-home run_raw init --device fresh
expect_ok
check "init in a fresh \$HOME created ~/.local/share/carelog" test -f "$TMP/fresh-home/.local/share/carelog/device.json"
HOME=$TMP/fresh-home XDG_DATA_HOME=$TMP/fresh-xdg/data run_raw init --device fresh
expect_ok
check "init created \$XDG_DATA_HOME/carelog and its parents" test -f "$TMP/fresh-xdg/data/carelog/device.json"

run_raw --store "$TMP/a/b/c/store" init
expect_ok
check "init --store DIR created DIR and its parents" test -f "$TMP/a/b/c/store/device.json"

finish
