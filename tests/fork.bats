#!/usr/bin/env bats
# mf-record and the processes around the recorded one: the user's own
# LD_PRELOAD, the processes the program starts (--follow-fork), and the
# reducers on the captures of several processes.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$ROOT"
	out="$BATS_TEST_TMPDIR/out.mft"
	mark=$PROGS/libpreload_mark.so
}

@test "LD_PRELOAD: the user's library stays preloaded in the program and what it execs; mf's tracker does not" {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=$mark run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/env_preload
	[ "$output" = "parent: LD_PRELOAD=$mark getpid=4242
child: LD_PRELOAD=$mark getpid=4242" ]
	# Loaded in mf-record itself (the shell preloads it), the program and the exec'd one.
	[ "$stderr" = "preload_mark: loaded
preload_mark: loaded
preload_mark: loaded" ]
	# Recorded all the same: the parent's block, not the exec'd program's.
	[ "$(awk '$1 == "a" && $4 == 11111' "$out" | wc -l)" = 1 ]
	grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 0' "$out"
}

@test "LD_PRELOAD: several libraries keep their order and separators" {
	libm=$(ldconfig -p | awk '$1 == "libm.so.6" && /x86-64/ { print $NF; exit }')
	[ -n "$libm" ]
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD="$libm $mark:$libm" run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/env_preload
	[ "$output" = "parent: LD_PRELOAD=$libm $mark:$libm getpid=4242
child: LD_PRELOAD=$libm $mark:$libm getpid=4242" ]
}

@test "LD_PRELOAD: without one set, the program sees none" {
	run -0 --separate-stderr env -u LD_PRELOAD $BIN/mf-record -o "$out" $PROGS/env_preload
	[ "$output" = "parent: LD_PRELOAD=(unset) getpid=real
child: LD_PRELOAD=(unset) getpid=real" ]
}
