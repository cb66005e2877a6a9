# tests/helpers.bash - what every bats file shares: `load helpers` at the top.
#
# The programs under test are found through the environment, so one suite
# runs against any build: `make check` sets MF_BIN=bin MF_BUILD=build, and
# `make check SANITIZE=1` sets MF_BIN=bin-san MF_BUILD=build-san.
#
#   $ROOT   the source tree
#   $BIN    the programs (bin/mf-peak, ...): $MF_BIN, default bin/
#   $PROGS  the test programs of tests/progs/: $MF_BUILD/tests, default build/tests
#   $DATA   tests/data

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
mf_abs() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BIN=$(mf_abs "${MF_BIN:-bin}")
PROGS=$(mf_abs "${MF_BUILD:-build}")/tests
DATA=$ROOT/tests/data
