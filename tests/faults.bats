#!/usr/bin/env bats
# mf-record against programs that misbehave (tests/progs/fault_*.c): they
# crash, exit from odd places, race, fork, exec, close the recorder's
# descriptors, allocate in signal handlers and outside main, recurse far
# too deep, or record onto a full disk.  Every stream must stay a valid
# capture (mf-leaks reads it without error) with exactly the events the
# program made, and the E record must say how the program ended.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	out=$BATS_TEST_TMPDIR/out.mft
}

teardown() {
	if [ -n "${small:-}" ] && mountpoint -q "$small"; then
		umount "$small"
	fi
	# A shim_orphan left allocating by a failed test (cut_by_file_size).
	if [ -n "${orphan:-}" ]; then
		touch "$orphan/stop"
	fi
}

# The stream is a complete, valid capture: the strict reader accepts it.
valid() {
	run -0 --separate-stderr "$BIN/mf-leaks" "$1"
}

# The sizes of the a records, in stream order, on one line.
sizes() {
	awk '$1 == "a" { printf "%s%s", sep, $4; sep = " " } END { print "" }' "$1"
}

# How many a records of each size, "COUNT SIZE" per line, by size.
size_counts() {
	awk '$1 == "a" { print $4 }' "$1" | sort -n | uniq -c | awk '{ print $1, $2 }'
}

# The E record from its third field: the counts and how the program ended.
end_record() {
	grep '^E ' "$1" | cut -d' ' -f3-
}

# recorded STATUS COUNT COUNTS END PROGRAM [ARG...]: PROGRAM of
# tests/progs (with ARGs) recorded into $out exits STATUS, the capture is
# valid, COUNT of it (sizes or size_counts) is COUNTS and its E record,
# from its third field, is END.
recorded() {
	local want=$1 count=$2 counts=$3 end=$4 prog=$5
	shift 5
	run "-$want" "$BIN/mf-record" -o "$out" "$PROGS/$prog" "$@"
	valid "$out"
	[ "$("$count" "$out")" = "$counts" ]
	[ "$(end_record "$out")" = "$end" ]
}

@test "faults: SIGSEGV keeps the events before it and ends with signal 11" {
	recorded 139 sizes "4243 4243 4243" "3 0 0 0 signal 11" fault_end segv
}

@test "faults: abort keeps the events before it and ends with signal 6" {
	recorded 134 sizes "4243 4243 4243" "3 0 0 0 signal 6" fault_end abort
}

@test "faults: _exit skips the exit handlers, not the recording" {
	recorded 7 sizes "4243 4243 4243" "3 0 0 0 exit 7" fault_end _exit
}

@test "faults: exit from a thread other than main" {
	run -9 "$BIN/mf-record" -o "$out" "$PROGS/fault_end" thread-exit
	valid "$out"
	# pthread_create's own allocation (the new thread's TLS) comes between.
	[ "$(size_counts "$out" | grep -v ' 304$')" = "3 4243
1 4244" ]
	[ "$(awk '$1 == "a" && $4 == 4244 { print $2 }' "$out")" = 2 ]
	[[ "$(end_record "$out")" == *" 0 0 0 exit 9" ]]
}

@test "faults: 64 threads allocating at once: every event, none twice" {
	run -0 "$BIN/mf-record" -o "$out" "$PROGS/fault_threads"
	valid "$out"
	# Each thread made 500 allocations of 10000 + its index and freed 499.
	run -0 awk '
		$1 == "a" { n++; size[n] = $4; if ($4 >= 10000 && $4 < 10064) made[$4]++ }
		$1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; s = size[k]; if (s >= 10000 && s < 10064) freed[s]++ }
		END {
			for (s = 10000; s < 10064; s++)
				if (made[s] != 500 || freed[s] != 499) print s, made[s] + 0, freed[s] + 0
		}' "$out"
	[ "$output" = "" ]
	# One thread number per thread: main and the 64 workers.
	[ "$(awk '$1 == "T" { print $2 }' "$out" | sort -u | wc -l)" = 65 ]
	[ "$(awk '$1 == "a" && $4 >= 10000 && $4 < 10064 { print $2, $4 }' "$out" | sort -u | wc -l)" = 64 ]
}

# More threads alive at once than there were slots (1024): each must get
# one at once, not wait for another to exit, or the barrier never opens.
@test "faults: 2000 threads alive at once, all waiting on one barrier" {
	run -0 "$BIN/mf-record" -o "$out" "$PROGS/fault_manythreads"
	valid "$out"
	# Each thread made 5 allocations of 6661 bytes and freed them.
	run -0 awk '
		$1 == "a" { n++; size[n] = $4; if ($4 == 6661) { made++; by[$2]++ } }
		$1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; if (size[k] == 6661) freed++ }
		END { for (t in by) if (by[t] == 5) threads++; print made, freed, threads }' "$out"
	[ "$output" = "10000 10000 2000" ]
	[[ "$(end_record "$out")" == *" 0 0 exit 0" ]]
}

# A child made by the raw clone system call runs no fork handlers and
# shares the rings: it must find out by itself that it is not the
# recorded process, before it writes.
@test "faults: a child of a raw clone (no fork handlers) leaves the parent's stream intact" {
	recorded 0 size_counts "1 7771
1 7773
100000 7774" "100002 100000 0 0 exit 0" fault_rawclone
	run -0 --separate-stderr "$BIN/mf-peak" "$out"
}

# The launcher checks what it writes: a ring that says something no
# tracker would (here an allocation naming a stack never sent, what two
# processes writing one ring leave) stops the recording with an error
# instead of writing records every reader refuses.
@test "faults: an allocation naming a stack never sent is a corrupt ring, not a record" {
	run -1 --separate-stderr "$BIN/mf-record" -o "$out" "$PROGS/fault_corrupt"
	[ "$stderr" = "mf-record: the event ring of slot 0 is corrupt: an allocation names a stack never sent" ]
	run ! grep -q '^a ' "$out"
}

# The program limits its own address space: the tracker's rings must not
# take that room (it maps only the slots its threads use).
@test "faults: a program that sets RLIMIT_AS gets as much memory as without the recorder" {
	run -0 --separate-stderr "$PROGS/fault_rlimit"
	alone=$output
	[ "$alone" -gt 0 ]
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$PROGS/fault_rlimit"
	[ "$output" = "$alone" ]
	valid "$out"
	[ "$(size_counts "$out" | grep ' 67108864$')" = "$alone 67108864" ]
}

@test "faults: an address space limit too small for the event rings: one line, exit 1, no file" {
	# AddressSanitizer itself cannot start under a small ulimit -v.
	if ldd "$BIN/mf-record" | grep -q libasan; then
		skip "a sanitized mf-record cannot run under ulimit -v"
	fi
	run -1 --separate-stderr sh -c 'ulimit -v 40000 && exec "$@"' sh \
		"$BIN/mf-record" -o "$out" "$PROGS/rec_basic"
	[ "$stderr" = "mf-record: cannot record: the address space limit (ulimit -v 40000) leaves too little room for the event rings (17 MB) and the recorder's own work" ]
	[ ! -e "$out" ]
	# On standard output nothing is written either.
	run -1 --separate-stderr sh -c 'ulimit -v 40000 && exec "$@"' sh \
		"$BIN/mf-record" "$PROGS/rec_basic"
	[ "$output" = "" ]
	[ "${#stderr_lines[@]}" = 1 ]
	# With room for a few slots the capture starts and is complete.
	run -0 --separate-stderr sh -c 'ulimit -v 400000 && exec "$@"' sh \
		"$BIN/mf-record" -o "$out" "$PROGS/rec_basic"
	valid "$out"
}

@test "faults: 100 forked children that exit() leave the parent's stream intact" {
	recorded 0 sizes "5551 5553" "2 0 0 0 exit 0" fault_fork
}

@test "faults: exec: the new program continues the recording, which ends with its status" {
	run -3 "$BIN/mf-record" -o "$out" "$PROGS/fault_fork" exec
	valid "$out"
	# The program's block, then the shell's own (as many as its environment makes).
	[ "$(sed '/^X /q' "$out" | awk '$1 == "a" { print $4 }')" = 5551 ]
	grep -qx 'X [0-9]* sh -c exit\\x203' "$out"
	[[ "$(end_record "$out")" == *" 0 0 exit 3" ]]
}

@test "faults: closing every descriptor from 3 to 1024 does not stop the recording" {
	recorded 0 size_counts "1 7771
100 7772" "101 0 0 0 exit 0" fault_fds close
}

@test "faults: dup2 over every descriptor from 3 to 1024 does not stop the recording" {
	recorded 0 size_counts "1 7771
100 7772" "101 0 0 0 exit 0" fault_fds dup2
}

@test "faults: a signal handler that allocates, raised 10000 times" {
	recorded 0 size_counts "10000 8881" "10000 10000 0 0 exit 0" fault_signal raise
}

# The timer's signals land inside the tracker's own hooks (main maps and
# unmaps); the handler's allocations must be recorded all the same.
@test "faults: a timer signal handler that allocates while main allocates" {
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$PROGS/fault_signal" timer
	calls=$stderr
	valid "$out"
	[ "$calls" -gt 0 ]
	recorded=$(awk '$1 == "a" && $4 == 8882' "$out" | wc -l)
	lost=$(grep '^E ' "$out" | cut -d' ' -f6)
	echo "handler calls $calls, recorded $recorded, lost $lost"
	[ "$(awk '$1 == "a" && $4 == 8883 && $5 == "mmap"' "$out" | wc -l)" = 200000 ]
	[ "$recorded" = "$calls" ]
}

@test "faults: a stack 10000 calls deep is cut at 128 frames under <STACK TOO DEEP>" {
	run -0 "$BIN/mf-record" -o "$out" "$PROGS/fault_deep"
	valid "$out"
	# The allocation's stack, outermost first, one frame per line.
	run -0 awk '
		$1 == "F" { fn = $6; for (i = 7; i <= NF; i++) fn = fn " " $i; frame[$2] = fn ":" $5 }
		$1 == "S" { parent[$2] = $3; fr[$2] = $4 }
		$1 == "a" && $4 == 9991 { for (n = $3; n != 0; n = parent[n]) s = frame[fr[n]] "\n" s; printf "%s", s }
	' "$out"
	[ "${#lines[@]}" = 129 ]
	[ "${lines[0]}" = "<STACK TOO DEEP>:0" ]
	[ "$(printf '%s\n' "${lines[@]:1:127}" | sort -u)" = "dive:11" ]
	[ "${lines[128]}" = "dive:10" ]
}

@test "faults: allocations in constructors, atexit handlers and destructors" {
	recorded 0 sizes "1231 1234 1233 1232" "4 0 0 0 exit 0" fault_ctor
}

@test "faults: a capture to /dev/full is a clear error" {
	run -1 --separate-stderr "$BIN/mf-record" -f -o /dev/full "$PROGS/fault_threads"
	[ "$stderr" = "mf-record: cannot write '/dev/full': No space left on device" ]
}

@test "faults: a capture on standard output to /dev/full is a clear error" {
	run -1 --separate-stderr sh -c '"$1" "$2" >/dev/full' sh "$BIN/mf-record" "$PROGS/fault_threads"
	[ "$stderr" = "mf-record: cannot write 'standard output': No space left on device" ]
}

# A 64 KB file system fills up in the middle of the recording: the error
# names the file, and what was written reads back as an incomplete capture.
@test "faults: a capture that fills the disk stays readable up to where it stopped" {
	small=$BATS_TEST_TMPDIR/small
	mkdir "$small"
	mount -t tmpfs -o size=64k tmpfs "$small" 2>/dev/null ||
		skip "cannot mount a small tmpfs here (needs root and CAP_SYS_ADMIN)"
	run -1 --separate-stderr "$BIN/mf-record" -o "$small/cap.mft" "$PROGS/fault_threads"
	[ "$stderr" = "mf-record: cannot write '$small/cap.mft': No space left on device" ]
	[ "$(head -c 2 "$small/cap.mft")" = "H " ]
	run -1 --separate-stderr "$BIN/mf-peak" "$small/cap.mft"
	[ "$stderr" = "mf-peak: $small/cap.mft: incomplete capture: no end record; the output covers only what was recorded" ]
	grep -qx '# truncated=true' <<<"$output"
	grep -q '^# count=' <<<"$output"
	# Compressed (about 33 KB in all, so leave 8 KB free), zcat reads what
	# was written before it reports the cut.
	rm "$small/cap.mft"
	head -c 57344 /dev/zero >"$small/filler"
	run -1 --separate-stderr "$BIN/mf-record" -o "$small/cap.mft.gz" "$PROGS/rec_basic" 100000
	[ "$stderr" = "mf-record: cannot write '$small/cap.mft.gz': No space left on device" ]
	run -1 --separate-stderr zcat "$small/cap.mft.gz"
	[ "${lines[0]:0:8}" = "H 2 full" ]
}

# cut_by_file_size FILE BYTES: record shim_orphan (it allocates until told
# to stop) into FILE, and let mf-record write BYTES more once the program
# is tracked: mf-record is stopped, its file size limit (RLIMIT_FSIZE) set
# BYTES past what it wrote, and continued.  The write that crosses the
# limit is cut there, the next fails with EFBIG (SIGXFSZ is ignored).  The
# limit cannot be set from the start: the tracker's shared memory is a
# file far larger.  Sets rec_status and rec_stderr.
cut_by_file_size() {
	orphan=$BATS_TEST_TMPDIR/orphan-$1
	mkdir "$orphan"
	(trap '' XFSZ; exec "$BIN/mf-record" -o "$1" "$PROGS/shim_orphan" "$orphan" 2>"$orphan/err") &
	local rec=$! i
	for i in $(seq 300); do [ -e "$orphan/started" ] && break; sleep 0.1; done
	[ -e "$orphan/started" ]
	kill -STOP "$rec"
	# Every thread stopped: no write in flight.
	for i in $(seq 300); do
		[ "$(awk '{ print $3 }' /proc/"$rec"/task/*/stat | sort -u)" = T ] && break
		sleep 0.01
	done
	[ "$(awk '{ print $3 }' /proc/"$rec"/task/*/stat | sort -u)" = T ]
	# Until it ends, mf-record writes beside FILE, into .FILE.mf-XXXXXX (lib/output.h).
	local writing=("$(dirname "$1")/.$(basename "$1").mf-"*)
	[ "${#writing[@]}" = 1 ]
	written=$(stat -c %s "${writing[0]}")
	prlimit --pid "$rec" --fsize=$((written + $2))
	kill -CONT "$rec"
	# mf-record stops at the first write refused: it needs no stop.
	for i in $(seq 100); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
	touch "$orphan/stop"
	rec_status=0
	wait "$rec" || rec_status=$?
	rec_stderr=$(cat "$orphan/err")
	for i in $(seq 300); do [ -e "$orphan/done" ] && break; sleep 0.1; done
	[ -e "$orphan/done" ]
}

# The same as a full disk, with no file system to mount: the file size
# limit stops the capture; what was written reads back as an incomplete capture.
@test "faults: a capture cut by the file size limit stays readable up to where it stopped" {
	cut_by_file_size cap.mft 100000
	[ "$rec_status" = 1 ]
	[ "$rec_stderr" = "mf-record: cannot write 'cap.mft': File too large" ]
	[ "$(stat -c %s cap.mft)" = $((written + 100000)) ]
	[ "$(head -c 2 cap.mft)" = "H " ]
	run -1 --separate-stderr "$BIN/mf-peak" cap.mft
	[ "$stderr" = "mf-peak: cap.mft: incomplete capture: no end record; the output covers only what was recorded" ]
	grep -qx '# truncated=true' <<<"$output"
	grep -q '^# count=' <<<"$output"
	# Compressed: zcat and the reducers read what was written before the cut.
	# (A gzip member is far longer than 1000 bytes: the cut falls inside one.)
	cut_by_file_size cap.mft.gz 1000
	[ "$rec_status" = 1 ]
	[ "$rec_stderr" = "mf-record: cannot write 'cap.mft.gz': File too large" ]
	[ "$(stat -c %s cap.mft.gz)" = $((written + 1000)) ]
	run -1 --separate-stderr zcat cap.mft.gz
	[ "${lines[0]:0:8}" = "H 2 full" ]
	[ "$stderr" = "gzip: cap.mft.gz: unexpected end of file" ]
	run -1 --separate-stderr "$BIN/mf-peak" cap.mft.gz
	[ "$stderr" = "mf-peak: cap.mft.gz:$(gzip_cut_line cap.mft.gz): truncated or corrupt gzip input: unexpected end of file" ]
}

# Issue 11, item 3, with --follow-fork (which came later): the child of a
# raw clone runs no fork handler, so it cannot ask for a capture of its
# own; the parent's capture stays whole, and one line says a process went
# unrecorded instead of nothing.
@test "faults: --follow-fork: a raw clone's child is not followed; the parent's capture is whole, one line says so" {
	run -0 --separate-stderr "$BIN/mf-record" --follow-fork -o "$out" "$PROGS/fault_rawclone"
	[ "$output" = "" ]
	[ "$stderr" = "mf-record: 1 process made by a raw clone system call ran unrecorded: it ran no fork handler, so --follow-fork cannot follow it" ]
	[ "$(echo out*)" = "out.mft" ]
	valid "$out"
	[ "$(size_counts "$out")" = "1 7771
1 7773
100000 7774" ]
	[ "$(end_record "$out")" = "100002 100000 0 0 exit 0" ]
}

# Python frames through both kinds of fork under --follow-fork: the child
# of os.fork gets its own capture with its Python frames, the raw clone's
# child none, and the parent's capture holds neither child's allocations.
@test "faults: --follow-fork: a Python program that forks with os.fork and with a raw clone" {
	local root py
	root=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
	py=$(ls -d "$root"/versions/3.12*/bin/python3 2>/dev/null | head -1)
	[ -x "$py" ] || { echo "no CPython 3.12 from pyenv under $root/versions" >&2; return 1; }
	cp "$ROOT/tests/progs/py_forks.py" .
	run -0 --separate-stderr "$BIN/mf-record" --follow-fork -o py.mft "$py" py_forks.py
	[ "$stderr" = "mf-record: 1 process made by a raw clone system call ran unrecorded: it ran no fork handler, so --follow-fork cannot follow it" ]
	children=(py.*.mft)
	[ "${#children[@]}" = 1 ]
	valid py.mft
	valid "${children[0]}"
	[ "$(size_counts py.mft | grep -E ' (5002|6003|7004)$')" = "3 5002
1 7004" ]
	[ "$(size_counts "${children[0]}" | grep -E ' (5002|6003|7004)$')" = "2 6003" ]
	# The parent's stacks are many and deep (90 MB folded): files, not $output.
	"$BIN/mf-fold" -o child.folded "${children[0]}"
	"$BIN/mf-fold" -o parent.folded py.mft
	[ "$(grep -c -F ";child_work ($PWD/py_forks.py:7);" child.folded)" -gt 0 ]
	[ "$(grep -c -F ";parent_work ($PWD/py_forks.py:6);" parent.folded)" -gt 0 ]
	[ "$(grep -c -F child_work parent.folded)" = 0 ]
}

# Hostile MF_* variables in the environment of mf-record: its own
# MF_SHM_FD wins over the user's, and an MF_FOLLOW it did not set (left by
# an outer mf-record --follow-fork, or anything) does not make the tracker
# think its children are followed, which hid them from the count.
@test "faults: MF_SHM_FD and MF_FOLLOW set by the user do not change a recording" {
	MF_SHM_FD=0 MF_FOLLOW=garbage run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$PROGS/fork_family"
	[ "$stderr" = "mf-record: 3 processes started by the program ran unrecorded: --follow-fork records them" ]
	[ "$(sizes "$out")" = "1000 2000" ]
	valid "$out"
}

# A raw clone's child is not one --follow-fork records: without the
# option too, the end-of-run note counts it on a line of its own, apart
# from the forked child that --follow-fork would record.
@test "faults: without --follow-fork, a raw clone's child is counted apart from a forked one" {
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$PROGS/fault_rawclone"
	[ "$stderr" = "mf-record: 1 process made by a raw clone system call ran unrecorded: it ran no fork handler, so --follow-fork cannot follow it" ]
	run -0 --separate-stderr "$BIN/mf-record" -f -o "$out" "$PROGS/fault_forkclone"
	[ "${#stderr_lines[@]}" = 2 ]
	[ "${stderr_lines[0]}" = "mf-record: 1 process started by the program ran unrecorded: --follow-fork records them" ]
	[ "${stderr_lines[1]}" = "mf-record: 1 process made by a raw clone system call ran unrecorded: it ran no fork handler, so --follow-fork cannot follow it" ]
	valid "$out"
	[ "$(sizes "$out")" = "7780 7783" ]
	run -0 --separate-stderr "$BIN/mf-record" -f --follow-fork -o "$out" "$PROGS/fault_forkclone"
	[ "$stderr" = "mf-record: 1 process made by a raw clone system call ran unrecorded: it ran no fork handler, so --follow-fork cannot follow it" ]
	children=(out.*.mft)
	[ "${#children[@]}" = 1 ]
	[ "$(sizes "${children[0]}")" = "7781" ]
	[ "$(sizes "$out")" = "7780 7783" ]
}
