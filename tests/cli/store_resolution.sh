#!/usr/bin/env bash
# Which store a command uses: --store DIR, else $CARELOG_STORE, else
# $XDG_DATA_HOME/carelog, else $HOME/.local/share/carelog.
source "$(dirname "$0")/lib.sh" "$@"

A=$TMP/opt-store
E=$TMP/env-store
X=$TMP/xdg
H=$TMP/home   # lib.sh exported HOME=$TMP/home

# Stores are told apart by their device name.
device_of() { jq -r '.device // .device_id // .id // empty' "$1/device.json" 2>/dev/null; }

# The parents of the default stores exist here (see the last section for
# a fresh $HOME without them).
mkdir -p "$X" "$H/.local/share"

section "init goes where resolution says"
run_raw --store "$A" init --device opt
expect_ok
check "--store: device.json in $A" test -f "$A/device.json"
CARELOG_STORE=$E XDG_DATA_HOME=$X run_raw init --device env
expect_ok
check "\$CARELOG_STORE: device.json in $E" test -f "$E/device.json"
check "\$CARELOG_STORE wins over \$XDG_DATA_HOME" test ! -e "$X/carelog"
XDG_DATA_HOME=$X run_raw init --device xdg
expect_ok
check "\$XDG_DATA_HOME: device.json in $X/carelog" test -f "$X/carelog/device.json"
check "\$XDG_DATA_HOME wins over \$HOME" test ! -e "$H/.local/share/carelog"
run_raw init --device home
expect_ok
check "\$HOME: device.json in $H/.local/share/carelog" test -f "$H/.local/share/carelog/device.json"
expect_stdout_re "in $H/.local/share/carelog "
# empty variables count as unset
CARELOG_STORE='' XDG_DATA_HOME='' run_raw patient list
expect_ok

section "each store gets the patient it was told to"
run_raw --store "$A" patient add --name in-opt
expect_id
CARELOG_STORE=$E XDG_DATA_HOME=$X run_raw patient add --name in-env
expect_id
XDG_DATA_HOME=$X run_raw patient add --name in-xdg
expect_id
run_raw patient add --name in-home
expect_id

names() { jq -r 'map(.name) | join(",")' "$TMP/.out"; }
section "--store beats \$CARELOG_STORE and \$XDG_DATA_HOME"
CARELOG_STORE=$E XDG_DATA_HOME=$X run_raw --store "$A" patient list --json
expect_ok
assert_eq "$(names)" in-opt "--store DIR"
CARELOG_STORE=$E XDG_DATA_HOME=$X run_raw --store="$A" patient list --json
expect_ok
assert_eq "$(names)" in-opt "--store=DIR"
section "\$CARELOG_STORE beats \$XDG_DATA_HOME"
CARELOG_STORE=$E XDG_DATA_HOME=$X run_raw patient list --json
expect_ok
assert_eq "$(names)" in-env "\$CARELOG_STORE"
section "\$XDG_DATA_HOME/carelog beats \$HOME"
XDG_DATA_HOME=$X run_raw patient list --json
expect_ok
assert_eq "$(names)" in-xdg "\$XDG_DATA_HOME/carelog"
section "\$HOME/.local/share/carelog last"
run_raw patient list --json
expect_ok
assert_eq "$(names)" in-home "\$HOME/.local/share/carelog"

section "no store anywhere"
HOME='' run_raw patient list
expect_usage "no store"
CARELOG_STORE=$TMP/nothing-here run_raw patient list
expect_failure "is not a carelog store"
check "a missing \$CARELOG_STORE is not created by a read" test ! -e "$TMP/nothing-here"

finish
