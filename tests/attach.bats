#!/usr/bin/env bats
# mf-record -p and mf attach: recording a process started without mf.
# tests/progs/attach_prog.c sees the attaching itself (its GOT entry of
# malloc changes, and comes back at the detach), so no test waits a guessed
# time for mf-record.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$ROOT"
	out=$BATS_TEST_TMPDIR/out.mft
	pout=$BATS_TEST_TMPDIR/prog.out
	prog=
	rec=
	child=
}

teardown() {
	local p
	for p in $child $prog $rec; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# wait_line TEXT: until the program's standard output has the line TEXT.
wait_line() {
	local i
	for i in $(seq 1 3000); do
		grep -qx -- "$1" "$pout" && return 0
		sleep 0.01
	done
	echo "attach_prog never printed '$1'; it printed: $(cat "$pout")" >&2
	return 1
}

# start_prog MODE: attach_prog MODE in the background ($prog), once it printed "ready".
start_prog() {
	"$PROGS/attach_prog" "$1" >"$pout" 2>"$BATS_TEST_TMPDIR/prog.err" 3>&- &
	prog=$!
	pid=$prog
	wait_line "${2:-ready}"
}

# Wait for the background program $prog; $prog_status is its exit status.
wait_prog() {
	prog_status=0
	wait "$prog" || prog_status=$?
	prog=
}

# For each a record: "SIZE THREAD FUNCTION:LINE" of its innermost frame.
allocs() {
	awk '
	$1 == "F" { frame[$2] = $6 ":" $5 }
	$1 == "S" { fr[$2] = $4 }
	$1 == "a" { print $4, $2, frame[fr[$3]] }' "$1"
}

# The E record without its time: "ALLOCS FREES UNTRACKED LOST HOW CODE".
end_record() {
	awk '$1 == "E" { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$1"
}

line_of() {
	grep -n "MARK: $1 \*/\$" tests/progs/attach_prog.c | cut -d: -f1
}

# start_child MODE: attach_prog MODE in the background ($prog), and the
# child it starts ($child) once it printed its pid.
start_child() {
	local i
	"$PROGS/attach_prog" "$1" >"$pout" 3>&- &
	prog=$!
	for i in $(seq 1 3000); do [ -s "$pout" ] && break; sleep 0.01; done
	child=$(head -1 "$pout")
}

# attached STATUS PRINTED [OPTION...]: mf-record -p $prog (with OPTIONs)
# into $out exits 0 and says nothing, then the program exits STATUS having
# printed PRINTED (a printf format).
attached() {
	local want=$1 printed=$2
	shift 2
	run -0 --separate-stderr $BIN/mf-record -p "$prog" "$@" -o "$out"
	[ "$output" = "" ]
	[ "$stderr" = "" ]
	wait_prog
	[ "$prog_status" = "$want" ]
	[ "$(cat "$pout")" = "$(printf "$printed")" ]
}

# attach_refused PID WHY [COMMAND...]: mf-record -p PID (run as COMMAND,
# by default $BIN/mf-record) exits 1 saying "cannot attach to process
# PID: WHY", and writes no file.
attach_refused() {
	local pid=$1 why=$2
	shift 2
	[ $# -gt 0 ] || set -- "$BIN/mf-record"
	run -1 --separate-stderr "$@" -p "$pid" -o "$out"
	[ "$stderr" = "mf-record: cannot attach to process $pid: $why" ]
	[ ! -e "$out" ]
}

@test "attach: only what the program allocates after attaching is recorded; its output and exit status are its own" {
	start_prog once
	attached 3 'ready\nafter'
	[ "$(cat "$BATS_TEST_TMPDIR/prog.err")" = "" ]
	after=$(line_of after)
	[ "$(allocs "$out")" = "$(printf '2222 1 after_attach:%s\n2222 1 after_attach:%s' "$after" "$after")" ]
	# The free of a block allocated before is untracked; the process's end is "gone".
	[ "$(end_record "$out")" = "2 0 1 0 gone 0" ]
	awk -v pid="$pid" 'NR == 1 && $1 == "H" && $3 == "full" && $4 == pid { ok = 1 } END { exit !ok }' "$out"
	[ "$(head -1 "$out" | cut -d' ' -f7-)" = "$PROGS/attach_prog once" ]
	run -0 $BIN/mf-peak "$out"
	[[ "${lines[-1]}" == *";main ($ROOT/tests/progs/attach_prog.c:"+([0-9])");after_attach ($ROOT/tests/progs/attach_prog.c:$after) 4444" ]]
}

@test "attach: ^C detaches; the program goes on allocating, its bindings put back" {
	start_prog loop
	$BIN/mf-record -p "$prog" -o "$out" 2>"$BATS_TEST_TMPDIR/rec.err" 3>&- &
	rec=$!
	wait_line attached
	kill -INT "$rec"
	st=0
	wait "$rec" || st=$?
	rec=
	[ "$st" = 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/rec.err")" = "" ]
	wait_prog
	[ "$prog_status" = 0 ]
	[ "$(cat "$pout")" = "$(printf 'ready\nattached\ndetached\nstill allocating')" ]
	# Every churn() allocation, each freed; the E record says ^C (signal 2) ended it.
	[ "$(allocs "$out" | sort -u)" = "333 1 churn:$(line_of churn)" ]
	read -r allocs frees untracked lost how code <<<"$(end_record "$out")"
	[ "$allocs" -gt 0 ]
	[ "$frees" = "$allocs" ]
	[ "$untracked $lost $how $code" = "0 0 detached 2" ]
}

@test "attach: --duration detaches; an interrupted nanosleep sleeps on untouched" {
	start_prog sleep
	# nanosleep returned 0, errno 0, after the whole 3 s, although interrupted twice.
	attached 0 'ready\nslept 0 0' --duration 1
	[ "$(end_record "$out")" = "0 0 0 0 detached 0" ]
}

@test "attach: a multi-threaded program: every thread's allocations, numbered after the main thread" {
	start_prog threads
	attached 0 'ready\nafter'
	t=$(line_of thread)
	[ "$(allocs "$out" | sort -k2n)" = "$(printf '4444 %s in_thread:'"$t"'\n' 2 3 4 5 | sed '$s/\n$//')" ]
	awk -v pid="$pid" '$1 == "T" && $2 == 1 && $3 == pid { ok = 1 } END { exit !ok }' "$out"
	[ "$(end_record "$out")" = "4 0 0 0 gone 0" ]
}

@test "attach: a library loaded with dlopen after attaching is tracked too" {
	start_prog dlopen
	attached 0 'ready\nafter'
	# zlib's deflateInit2_ allocates its state and windows; deflateEnd frees them.
	[ "$(allocs "$out" | awk '{ print $3 }' | sort -u)" = "deflateInit2_:0" ]
	read -r allocs frees rest <<<"$(end_record "$out")"
	[ "$allocs" -ge 1 ]
	[ "$frees" = "$allocs" ]
	[ "$rest" = "0 0 gone 0" ]
}

@test "attach: a process the tracker was in before is refused, and goes on" {
	start_prog idle
	run -0 --separate-stderr $BIN/mf-record -p "$prog" --duration 1 -o "$out"
	[ "$(end_record "$out")" = "0 0 0 0 detached 0" ]
	run -1 --separate-stderr $BIN/mf-record -p "$prog" -o "$out.2"
	[ "$output" = "" ]
	[ "$stderr" = "mf-record: cannot attach to process $prog: mf-record was attached to it before, or it was started under mf-record: the tracker does not start twice in one process" ]
	[ ! -e "$out.2" ]
	kill -0 "$prog"
}

@test "attach: root records another user's process (the region is handed over a socket, not opened through /proc)" {
	[ "$(id -u)" = 0 ] || skip "only root may attach to another user's process"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PROGS/attach_prog" once >"$pout" 3>&- &
	prog=$!
	pid=$prog
	wait_line ready
	[ "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)" = 65534 ]
	run -0 --separate-stderr $BIN/mf-record -p "$pid" -o "$out"
	[ "$stderr" = "" ]
	wait_prog
	[ "$prog_status" = 3 ]
	[ "$(allocs "$out" | awk '{ print $1, $3 }' | sort -u)" = "2222 after_attach:$(line_of after)" ]
	[ "$(end_record "$out")" = "2 0 1 0 gone 0" ]
}

@test "attach: errors: no such process" {
	attach_refused 2147483647 "no such process"
}

@test "attach: errors: another user's process is not permitted" {
	if [ "$(id -u)" = 0 ]; then
		start_prog idle
		target=$prog
		cmd=(setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/mf-record")
	else
		target=1
		cmd=("$BIN/mf-record")
	fi
	attach_refused "$target" "not permitted: it belongs to another user (uid 0)" "${cmd[@]}"
}

@test "attach: errors: a statically linked process" {
	"$PROGS/attach_static" >"$pout" 3>&- &
	prog=$!
	wait_line ready
	attach_refused "$prog" "it is statically linked, so the tracker cannot be loaded into it"
}

@test "attach: errors: a process traced already" {
	start_child traced
	attach_refused "$child" "it is already traced by process $prog"
}

@test "attach: errors: a process that is exiting (a zombie)" {
	start_child zombie
	attach_refused "$child" "it is exiting"
}

@test "attach: usage errors" {
	run -2 --separate-stderr $BIN/mf-record -p 0
	[ "${stderr_lines[0]}" = "mf-record: -p takes a whole number from 1 to 2147483647, not '0'" ]
	[ "${stderr_lines[2]}" = "       mf-record -p PID [--duration S] [-f] [-o FILE] [--interval MS] [--aggregate]" ]
	run -2 --separate-stderr $BIN/mf-record -p 1 "$PROGS/attach_prog"
	[ "${stderr_lines[0]}" = "mf-record: -p records a running process: no PROGRAM with it" ]
	run -2 --separate-stderr $BIN/mf-record --duration 1 "$PROGS/attach_prog"
	[ "${stderr_lines[0]}" = "mf-record: --duration goes with -p" ]
	run -2 --separate-stderr $BIN/mf-record -p 1 --duration 0
	[ "${stderr_lines[0]}" = "mf-record: --duration takes a whole number from 1 to 31536000, not '0'" ]
	run -2 --separate-stderr $BIN/mf attach
	[ "${stderr_lines[0]}" = "mf: expected a PID" ]
	[ "${stderr_lines[1]}" = "usage: mf attach [-f] [-o FILE] [--duration S] [--interval MS] [--aggregate] PID" ]
	run -2 --separate-stderr $BIN/mf attach x
	[ "${stderr_lines[0]}" = "mf: PID takes a whole number from 1 to 2147483647, not 'x'" ]
}

@test "mf attach: the capture is named after the process and its pid" {
	start_prog idle
	w=$BATS_TEST_TMPDIR/w
	mkdir "$w"
	cd "$w"
	run -0 --separate-stderr $BIN/mf attach --duration 1 "$prog"
	name=mf-attach_prog.$prog.mft.zst
	[ "$stderr" = "mf: wrote $name; make a report with: mf flamegraph $name" ]
	[ "$(ls)" = "$name" ]
	[ "$(zstd -dc "$name" | end_record /dev/stdin)" = "0 0 0 0 detached 0" ]
	kill -0 "$prog"
}

# Issue 11, item 3, in an attached process: the child of a raw clone runs
# no fork handler and shares the rings; it must stop before it writes.
@test "attach: a raw clone's child in the attached process leaves its capture intact" {
	start_prog rawclone
	run -0 --separate-stderr $BIN/mf-record -p "$prog" -o "$out"
	[ "$stderr" = "" ]
	wait_prog
	[ "$prog_status" = 3 ]
	[ "$(cat "$pout")" = "$(printf 'ready\nafter')" ]
	[ "$(awk '$1 == "a" { print $4 }' "$out" | sort | uniq -c | awk '{ print $1, $2 }')" = "2 2222
1000 6666" ]
	[ "$(end_record "$out")" = "1002 1000 1 0 gone 0" ]
	run -0 --separate-stderr $BIN/mf-leaks "$out"
	[ "$stderr" = "" ]
}

# Following forks is for a program mf-record starts: with -p (or mf
# attach) the option is a usage error, in either order, before anything
# is attached or written.
@test "attach: --follow-fork with -p, or with mf attach, is a usage error" {
	for args in "-p $$ --follow-fork" "--follow-fork -p $$"; do
		run -2 --separate-stderr $BIN/mf-record $args -o "$out"
		[ "${stderr_lines[0]}" = "mf-record: --follow-fork goes with a PROGRAM mf-record starts, not with -p" ]
		[ "${stderr_lines[2]}" = "       mf-record -p PID [--duration S] [-f] [-o FILE] [--interval MS] [--aggregate]" ]
		[ "$output" = "" ]
		[ ! -e "$out" ]
	done
	run -2 --separate-stderr $BIN/mf attach --follow-fork -o "$out" $$
	[ "$stderr" = "mf: unknown option '--follow-fork'
usage: mf attach [-f] [-o FILE] [--duration S] [--interval MS] [--aggregate] PID" ]
	[ ! -e "$out" ]
}
