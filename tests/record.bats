#!/usr/bin/env bats
# mf-record: the launcher, with the real tracker, on the rec_* programs.
# Streams are checked record by record with awk.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$ROOT"
	out="$BATS_TEST_TMPDIR/out.mft"
}

# For each a record: "SIZE ALLOCATOR THREAD FRAMES", FRAMES innermost first,
# each "function@file:line", joined by "|".
allocs() {
	awk '
	$1 == "F" { fn = $6; for (i = 7; i <= NF; i++) fn = fn " " $i; frame[$2] = fn "@" $4 ":" $5 }
	$1 == "S" { parent[$2] = $3; fr[$2] = $4 }
	$1 == "a" {
		s = ""
		for (n = $3; n != 0; n = parent[n]) s = s (s == "" ? "" : "|") frame[fr[n]]
		print $4, (NF >= 5 ? $5 : "malloc"), $2, s
	}' "$1"
}

# The line of the source line marked "MARK: $2" in tests/progs/$1.
mark() {
	grep -n "MARK: $2\( \*/\)\?\$" "tests/progs/$1" | cut -d: -f1
}

# The half of a test that needs MF_CLOCK=tsc: it skips where mf-record
# refuses the time stamp counter, and only with exactly its message (any
# other failure fails the test).  tests/expected-skips lists these tests,
# since CI's virtual machine keeps its clock on kvm-clock.
needs_tsc() {
	MF_CLOCK=tsc run --separate-stderr $BIN/mf-record -o "$BATS_TEST_TMPDIR/tsc.mft" $PROGS/rec_basic 1
	if [ "$status" = 1 ] && [ "$stderr" = "mf-record: MF_CLOCK=tsc: this machine's time stamp counter cannot order events (it needs x86-64 with rdtscp, an invariant counter and the kernel's clocksource 'tsc')" ]; then
		skip "mf-record refuses MF_CLOCK=tsc here: the kernel's clocksource is $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	fi
	[ "$status" = 0 ]
}

# Structural checks every stream passes: H first, E last, ids defined before
# use, f never frees an allocation twice or one that does not exist.
valid_stream() {
	awk '
	function fail(msg) { print FILENAME ":" FNR ": " msg; bad = 1; exit 1 }
	FNR == 1 && $1 != "H" { fail("first record is not H") }
	$1 == "E" { ended = FNR }
	ended && FNR > ended { fail("record after E") }
	$1 == "M" { if ($2 in mod) fail("M twice"); mod[$2] = 1 }
	$1 == "F" { if ($2 in frame) fail("F twice"); if ($3 != 0 && !($3 in mod)) fail("F before its M"); frame[$2] = 1 }
	$1 == "S" { if ($2 in node) fail("S twice"); if ($3 != 0 && !($3 in node)) fail("S before parent"); if (!($4 in frame)) fail("S before its F"); node[$2] = 1 }
	$1 == "T" { thread[$2] = 1 }
	$1 == "t" || $1 == "m" { if ($2 < now) fail("time goes back"); now = $2 }
	$1 == "a" { if (!($2 in thread)) fail("a before T"); if ($3 != 0 && !($3 in node)) fail("a before its S"); n++; live[n] = 1; na++ }
	$1 == "f" { if (!($2 in thread)) fail("f before T"); k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; if (!(k in live)) fail("f of allocation " k " not live"); delete live[k]; nf++ }
	END {
		if (bad) exit 1
		if (!ended) { print "no E record"; exit 1 }
	}' "$1"
	# The E record counts the a and f records.
	[ "$(awk '$1 == "a" { a++ } $1 == "f" { f++ } $1 == "E" { e = $3 " " $4 } END { print (a + 0) " " (f + 0) " " e }' "$1")" = \
	  "$(awk '$1 == "E" { print $3, $4, $3, $4 }' "$1")" ]
}

@test "exactly N allocations of the known size from the known function and line" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_basic 7
	valid_stream "$out"
	line=$(mark rec_basic.c make_block)
	caller=$(mark rec_basic.c "main calls make_block")
	[ "$(allocs "$out" | awk '$1 == 12345' | wc -l)" -eq 7 ]
	[ "$(allocs "$out" | grep -c "^12345 malloc 1 make_block@[^ ]*tests/progs/rec_basic.c:$line|main@[^ ]*tests/progs/rec_basic.c:$caller|")" -eq 7 ]
	# All of them are freed: the 8 frees free the 8 allocations.
	[ "$(grep '^E ' "$out")" = "$(grep '^E ' "$out" | awk '{ print "E", $2, 8, 8, 0, 0, "exit", 0 }')" ]
}

@test "a stack deeper than 128 frames ends in <STACK TOO DEEP>" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_deep
	valid_stream "$out"
	grep -qx 'F [0-9]* 0 ? 0 <STACK TOO DEEP>' "$out"
	run -0 bash -c "source <(sed -n '/^allocs()/,/^}/p' tests/record.bats); allocs '$out' | awk '\$1 == 777' | cut -d' ' -f4- | tr '|' '\n'"
	# 128 frames of recurse (the innermost calls malloc), then the marker.
	[ "${#lines[@]}" -eq 129 ]
	[[ "${lines[0]}" == recurse@*tests/progs/rec_deep.c:$(mark rec_deep.c leaf) ]]
	[[ "${lines[127]}" == recurse@*tests/progs/rec_deep.c:$(mark rec_deep.c recurse) ]]
	[ "${lines[128]}" = "<STACK TOO DEEP>@?:0" ]
}

@test "a full disk is an error naming the file" {
	run -1 --separate-stderr $BIN/mf-record -f -o /dev/full $PROGS/rec_basic 100
	[ "$stderr" = "mf-record: cannot write '/dev/full': No space left on device" ]
}

@test "a library loaded with dlopen gets its M record when first needed" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_dlopen
	valid_stream "$out"
	# libz's M comes after the first allocation (it was not loaded then),
	# and allocations are made from a frame of deflateInit2_ in it.
	awk '
	$1 == "a" && !first_a { first_a = NR }
	$1 == "M" && $3 ~ /\/libz\.so[.0-9]*$/ { libz = $2; m_line = NR }
	$1 == "F" && $3 == libz && $6 == "deflateInit2_" { frame[$2] = 1 }
	$1 == "S" && ($4 in frame) { node[$2] = 1 }
	$1 == "a" && ($3 in node) { n++ }
	END { exit !(libz && m_line > first_a && n >= 1) }' "$out"
}

@test "the count of allocations follows the program's argument" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_basic 1000
	valid_stream "$out"
	[ "$(allocs "$out" | awk '$1 == 12345' | wc -l)" -eq 1000 ]
	# One stack for all of them: the S records are written once.
	[ "$(awk '$1 == "a" && $4 == 12345 { print $3 }' "$out" | sort -u | wc -l)" -eq 1 ]
}

@test "the header names the command, the pid and the interval" {
	run -0 $BIN/mf-record --interval 25 -o "$out" $PROGS/rec_basic 3 'two words'
	awk 'NR == 1 && $1 == "H" && $2 == 2 && $3 == "full" && $4 > 0 && $5 > 1700000000000 && $6 == 25 { ok = 1 } END { exit !ok }' "$out"
	[ "$(head -1 "$out" | cut -d' ' -f7-)" = "$PROGS/rec_basic 3 two\\x20words" ]
}

@test "every allocator is named" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_allocators
	valid_stream "$out"
	page=$(getconf PAGESIZE)
	run -0 awk '$1 == "a" { print $4, (NF >= 5 ? $5 : "malloc") }' "$out"
	[ "$output" = "1001 malloc
1010 calloc
1002 realloc
1003 reallocarray
1004 posix_memalign
1024 aligned_alloc
1005 memalign
1006 valloc
1007 pvalloc
$((4 * page)) mmap
$((8 * page)) mremap" ]
	# mremap frees the old mapping, munmap the new one: nothing stays live.
	grep -qx "E [0-9]* 11 11 0 0 exit 0" "$out"
}

# The a and f records of a capture: "a THREAD SIZE ALLOCATOR", "f THREAD BACK".
sizes_and_frees() {
	awk '$1 == "a" || $1 == "f" { print $1, $2, ($1 == "a" ? $4 " " $5 : $3) }' "$1"
}

# records_are PROGRAM RECORDS: PROGRAM of tests/progs recorded exits 0, its
# stream is valid and its a and f records (sizes_and_frees) are RECORDS.
records_are() {
	run -0 $BIN/mf-record -o "$out" $PROGS/$1
	valid_stream "$out"
	run -0 sizes_and_frees "$out"
	[ "$output" = "$2" ]
}

@test "munmap of part of a mapping frees it and keeps the parts that stay" {
	page=$(getconf PAGESIZE)
	records_are rec_munmap "a 1 $((8 * page)) mmap
f 1 0
a 1 $((7 * page)) mmap
f 1 0
a 1 $((3 * page)) mmap
a 1 $((3 * page)) mmap
f 1 1
f 1 0"
	# The parts keep the mapping's stack.
	[ "$(awk '$1 == "a" { print $3 }' "$out" | sort -u | wc -l)" -eq 1 ]
	# The last munmap touches nothing tracked: one untracked free.
	grep -qx "E [0-9]* 4 4 1 0 exit 0" "$out"
}

@test "200000 mappings, half of them unmapped: every a and f exact" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_mmaps 200000
	valid_stream "$out"
	page=$(getconf PAGESIZE)
	# The table of mappings is allocation 1; maps[j], a page, is
	# allocation j + 2; those with j % 4 < 2 are freed, in that order.
	[ "$(awk '$1 == "a" { print $2, $4, $5 }' "$out" | sort | uniq -c | awk '{ print $1, $2, $3, $4 }' | sort)" = \
"1 1 1600000 mmap
200000 1 $page mmap" ]
	run -0 awk '
		$1 == "a" { n++ }
		$1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; print k }' "$out"
	[ "$output" = "$(seq 0 199999 | awk '$1 % 4 < 2 { print $1 + 2 }')" ]
	grep -qx "E [0-9]* 200001 100000 0 0 exit 0" "$out"
}

@test "mremap of part of a mapping: the parts around it stay counted" {
	page=$(getconf PAGESIZE)
	records_are rec_mremap "a 1 $((4 * page)) mmap
f 1 0
a 1 $((1 * page)) mmap
a 1 $((2 * page)) mmap
a 1 $((3 * page)) mremap
f 1 0
f 1 2
f 1 1"
	grep -qx "E [0-9]* 4 4 0 0 exit 0" "$out"
}

@test "C++ new and delete are the malloc of operator new" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_cxx
	valid_stream "$out"
	line=$(mark rec_cxx.cc "new Widget")
	allocs "$out" | grep -q "^4000 malloc 1 operator new(unsigned long)@[^|]*|make_widget()@[^ ]*tests/progs/rec_cxx.cc:$line|"
	line=$(mark rec_cxx.cc "new int\[\]")
	# operator new[] may be a tail call of operator new: then it has no frame.
	allocs "$out" | grep -q "^4000 malloc 1 operator new\(\[\]\)\?(unsigned long)@[^|]*|\(operator new\[\](unsigned long)@[^|]*|\)\?main@[^ ]*tests/progs/rec_cxx.cc:$line|"
	# Both deletes are frees.
	[ "$(grep -c '^f ' "$out")" -eq 2 ]
}

@test "realloc: NULL is only an allocation, size 0 only a free, growing is free and allocation, failing nothing" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_realloc
	valid_stream "$out"
	run -0 awk '$1 == "a" || $1 == "f" { print $1, ($1 == "a" ? $4 " " $5 : $3) }' "$out"
	[ "$output" = "a 100 realloc
f 0
a 200 realloc
f 0
a 300 realloc
f 0
a 400 realloc
f 0" ]
}

@test "64 named threads get their T records, and renames" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_threads
	valid_stream "$out"
	# Threads 1..65, each first T record before its first a or f.
	[ "$(awk '$1 == "T" { print $2 }' "$out" | sort -un | tr '\n' ' ')" = "$(seq 1 65 | tr '\n' ' ')" ]
	for n in $(seq 0 63); do
		name=$(printf 'worker-%02d' "$n")
		# Exactly one allocation of 5000 + n, from the thread named so.
		thread=$(awk -v s=$((5000 + n)) '$1 == "a" && $4 == s { print $2 }' "$out")
		[ "$(echo "$thread" | wc -l)" -eq 1 ]
		awk -v t="$thread" -v name="$name" '$1 == "T" && $2 == t && $4 == name { ok = 1 } END { exit !ok }' "$out"
	done
	# The main thread renamed itself, and renamed worker-00 from outside.
	awk '$1 == "T" && $2 == 1 { last = $4 } END { exit last != "boss" }' "$out"
	grep -q '^T [0-9]* [0-9]* renamed$' "$out"
	# Thread ids are real: each T has a distinct kernel tid.
	[ "$(awk '$1 == "T" { print $3 }' "$out" | sort -u | wc -l)" -eq 65 ]
}

@test "4 threads churning: every free frees what its address held, in order" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_churn 50000 4
	valid_stream "$out"
	# Addresses are reused across threads all the time: had the launcher
	# written a malloc before the free that made its address available,
	# there would be an implicit free or an untracked free.
	run -1 grep '^# implicit free' "$out"
	[ "$(awk '$1 == "a" && $4 >= 16 && $4 < 272 { n[$2]++ } END { for (t in n) if (n[t] >= 50000) k++; print k }' "$out")" -eq 4 ]
	grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 0' "$out"
}

# Blocks handed between threads, addresses reused by other threads at once
# (one arena, no thread cache): a free written after the allocation that
# reused its address shows as an implicit free, one written before its
# allocation as an untracked free.  Under both clocks.
handoff_in_order() {
	GLIBC_TUNABLES=glibc.malloc.arena_max=1:glibc.malloc.tcache_count=0 \
		run -0 $BIN/mf-record -f -o "$out" $PROGS/rec_handoff 100000 4
	valid_stream "$out"
	run -1 grep '^# implicit free' "$out"
	grep -qx 'E [0-9]* 400004 400000 0 0 exit 0' "$out"
	# Some blocks were freed by another thread than their maker.
	[ "$(awk '$1 == "a" { n++; t[n] = $2 } $1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; if (t[k] != $2) x++ } END { print x + 0 }' "$out")" -gt 100 ]
}

@test "blocks handed between threads: frees and reuses in order (time stamp counter)" {
	needs_tsc
	MF_CLOCK=tsc handoff_in_order
}

@test "blocks handed between threads: frees and reuses in order (shared counter)" {
	MF_CLOCK=counter handoff_in_order
}

@test "keys a few ticks out of order: the other thread's free or allocation is written first (time stamp counter)" {
	needs_tsc
	MF_CLOCK=tsc run -0 $BIN/mf-record -o "$out" $PROGS/rec_skew
	valid_stream "$out"
	# Every allocation is from one of the program's two stacks (STACK shown as S).
	[ "$(grep -v '^[SFMHTtm]' "$out" | tail -7 | awk '$1 == "a" && $3 > 0 { $3 = "S" } 1')" = "a 1 S 1000
f 1 0
a 1 S 2000
a 1 S 3000
f 1 0
f 1 1
E $(awk '$1 == "E" { print $2 }' "$out") 5 5 0 0 exit 0" ]
}

@test "a structure torn down in order, or in reverse: f counts from the last free" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_teardown
	valid_stream "$out"
	# Each free names the right block: sizes 1001..2000 in order, then
	# 4000..3001.
	[ "$(awk '$1 == "a" { n++; size[n] = $4 } $1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; if (size[k] > 1000) print size[k] }' "$out" | tr '\n' ' ')" = \
	  "$(seq 1001 2000 | tr '\n' ' ')$(seq 4000 -1 3001 | tr '\n' ' ')" ]
	# Front to back: +1 (after the first), then BACK below 100, which is shorter.
	awk '$1 == "a" && $4 == 2000 { go = 1 } go && $1 == "f" { print $3 }' "$out" >"$BATS_TEST_TMPDIR/f"
	[ "$(sed -n '2,900p' "$BATS_TEST_TMPDIR/f" | sort -u)" = "+1" ]
	[ "$(sed -n '901,1000p' "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "$(seq 99 -1 0 | tr '\n' ' ')" ]
	# Back to front: BACK 0..99, then -1.
	[ "$(sed -n '1001,1100p' "$BATS_TEST_TMPDIR/f" | tr '\n' ' ')" = "$(seq 0 99 | tr '\n' ' ')" ]
	[ "$(sed -n '1101,2000p' "$BATS_TEST_TMPDIR/f" | sort -u)" = "-1" ]
	# And the reducers read it: nothing is live at the end.
	run -0 $BIN/mf-leaks "$out"
	run -1 grep 'rec_teardown.c' <<<"$output"
}

@test "MF_CLOCK other than tsc or counter is refused" {
	MF_CLOCK=hpet run -1 $BIN/mf-record -o "$out" $PROGS/rec_basic 1
	[ "$output" = "mf-record: MF_CLOCK is 'hpet': expected 'tsc' or 'counter'" ]
	[ ! -e "$out" ]
}

# rec_exit_ends HOW STATUS END: rec_exit HOW (its one allocation of 4242
# bytes, then its end) recorded exits STATUS, the stream is valid, holds
# that allocation and ends with "E MS 1 0 0 0 END".
rec_exit_ends() {
	run "-$2" $BIN/mf-record -o "$out" $PROGS/rec_exit "$1"
	valid_stream "$out"
	grep -qx "E [0-9]* 1 0 0 0 $3" "$out"
	[ "$(awk '$1 == "a" { print $4 }' "$out")" = 4242 ]
}

@test "the exit status passes through: exit 3" {
	rec_exit_ends exit3 3 "exit 3"
}

@test "a program killed by SIGSEGV gives 139 and signal 11, its events kept" {
	rec_exit_ends segv 139 "signal 11"
}

@test "abort keeps the events before it" {
	rec_exit_ends abort 134 "signal 6"
}

@test "a double free that glibc aborts on is counted as a double free" {
	run -134 --separate-stderr $BIN/mf-record -o "$out" $PROGS/rec_double_free abort
	valid_stream "$out"
	[ "$(sizes_and_frees "$out")" = "a 1 40 
f 1 0" ]
	grep -qx 'E [0-9]* 1 1 0 0 signal 6 1' "$out"
	# The reducers pass it on.
	run -0 $BIN/mf-leaks "$out"
	[ "$(grep -c '^# double_frees=1$' <<<"$output")" = 1 ]
	[ "$(grep -c '^# untracked_frees=0$' <<<"$output")" = 1 ]
}

@test "a double free glibc lets pass is counted, the program exits 0" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_double_free survive
	valid_stream "$out"
	# p, q and seven blocks to fill the tcache; the fill freed, then p and
	# q; p's second free has no f record.
	[ "$(sizes_and_frees "$out" | tr '\n' ,)" = "$(printf 'a 1 40 ,%.0s' 1 2 3 4 5 6 7 8 9)f 1 6,f 1 5,f 1 4,f 1 3,f 1 2,f 1 1,f 1 0,f 1 8,f 1 7," ]
	grep -qx 'E [0-9]* 9 9 0 0 exit 0 1' "$out"
}

@test "a capture without double frees has the E record older readers take" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_basic 1
	[ "$(awk '$1 == "E" { print NF }' "$out")" = 8 ]
}

@test "the E record's DOUBLE is read strictly" {
	printf 'H 2 full 1 2 10 x\nE 1 0 0 0 0 exit 0 x\n' >"$BATS_TEST_TMPDIR/bad.mft"
	run -1 --separate-stderr $BIN/mf-leaks "$BATS_TEST_TMPDIR/bad.mft"
	[ "$stderr" = "mf-leaks: $BATS_TEST_TMPDIR/bad.mft:2: expected DOUBLE as a whole number of at most 20 digits, found 'x'" ]
	printf 'H 2 full 1 2 10 x\nE 1 0 0 0 0 exit\n' >"$BATS_TEST_TMPDIR/bad.mft"
	run -1 --separate-stderr $BIN/mf-leaks "$BATS_TEST_TMPDIR/bad.mft"
	[ "$stderr" = "mf-leaks: $BATS_TEST_TMPDIR/bad.mft:2: expected 'E MS ALLOCS FREES UNTRACKED LOST HOW CODE [DOUBLE]'" ]
}

@test "_exit keeps the events before it" {
	rec_exit_ends _exit 5 "exit 5"
}

@test "SIGKILL keeps the events before it" {
	rec_exit_ends kill 137 "signal 9"
}

@test "SIGTERM to mf-record is passed on to the program, and the stream finished" {
	# --foreground: the signal goes to mf-record only, not its process group.
	run -143 timeout --foreground --preserve-status -s TERM 1 $BIN/mf-record -o "$out" $PROGS/rec_exit pause
	valid_stream "$out"
	grep -qx 'E [0-9]* 1 0 0 0 signal 15' "$out"
}

@test "fork: the child's allocations are not recorded" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_fork
	valid_stream "$out"
	[ "$(awk '$1 == "a" { print $4 }' "$out" | tr '\n' ' ')" = "1111 3333 " ]
	grep -qx 'E [0-9]* 2 2 0 0 exit 0' "$out"
}

@test "exec: the recorded process's new program continues the capture, its forked child's is not recorded" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_fork exec
	valid_stream "$out"
	[ "$(awk '$1 == "a" || $1 == "X" { print $1 == "X" ? "X" : $4 }' "$out" | tr '\n' ' ')" = "1111 3333 X 4444 " ]
	grep -qx 'E [0-9]* 3 3 0 0 exit 0' "$out"
}

@test "a gzip stream reads back with zcat" {
	run -0 $BIN/mf-record -o "$BATS_TEST_TMPDIR/out.mft.gz" $PROGS/rec_basic 5
	zcat "$BATS_TEST_TMPDIR/out.mft.gz" > "$out"
	valid_stream "$out"
	[ "$(allocs "$out" | awk '$1 == 12345' | wc -l)" -eq 5 ]
}

@test "-o refuses to overwrite a file without -f" {
	echo precious > "$out"
	run -1 --separate-stderr $BIN/mf-record -o "$out" $PROGS/rec_basic
	[ "$stderr" = "mf-record: '$out' already exists; use -f to overwrite it" ]
	[ "$(cat "$out")" = precious ]
	run -0 $BIN/mf-record -f -o "$out" $PROGS/rec_basic
	valid_stream "$out"
}

@test "on standard output the stream stays valid; the program's output goes to stderr" {
	run -0 --separate-stderr $BIN/mf-record $PROGS/rec_stdout
	printf '%s\n' "$output" > "$out"
	valid_stream "$out"
	[ "$(grep -c '^a [0-9]* [0-9]* 64$' "$out")" -eq 100 ]
	! grep hello "$out" || false
	[ "$(printf '%s\n' "$stderr" | grep -c '^hello [0-9]*$')" -eq 100 ]
}

@test "with -o FILE the program's standard output is untouched" {
	run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/rec_stdout
	[ "$(printf '%s\n' "$output" | grep -c '^hello [0-9]*$')" -eq 100 ]
	[ -z "$stderr" ]
}

@test "usage errors exit 2 with a usage line" {
	run -2 --separate-stderr $BIN/mf-record
	[ "${stderr_lines[0]}" = "mf-record: no program to record" ]
	[ "${stderr_lines[1]}" = "usage: mf-record [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]" ]
	run -2 --separate-stderr $BIN/mf-record --bogus $PROGS/rec_basic
	[ "${stderr_lines[0]}" = "mf-record: unknown option '--bogus'" ]
	run -2 --separate-stderr $BIN/mf-record -o
	[ "${stderr_lines[0]}" = "mf-record: option '-o' needs an argument" ]
	run -2 --separate-stderr $BIN/mf-record --interval 0 $PROGS/rec_basic
	[ "${stderr_lines[1]}" = "usage: mf-record [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]" ]
	run -2 --separate-stderr $BIN/mf-record --interval 10x $PROGS/rec_basic
	[ "${#stderr_lines[@]}" -eq 3 ]	# the message, and the usage's two lines (with -p PID)
}

@test "options after the program are the program's" {
	run -0 $BIN/mf-record -o "$out" -- $PROGS/rec_basic 2 -o --interval
	valid_stream "$out"
	[ "$(head -1 "$out" | cut -d' ' -f7-)" = "$PROGS/rec_basic 2 -o --interval" ]
}

@test "--help prints the usage to standard output" {
	run -0 --separate-stderr $BIN/mf-record --help
	[ "${lines[0]}" = "usage: mf-record [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]" ]
	[[ "$output" == *"standard output goes to standard error"* ]]
	[ -z "$stderr" ]
}

@test "a program that does not exist is refused" {
	run -1 --separate-stderr $BIN/mf-record -o "$out" no-such-program-mf
	[ "$stderr" = "mf-record: cannot find 'no-such-program-mf' in PATH" ]
	run -1 --separate-stderr $BIN/mf-record -o "$out" ./no/such/program
	[ "$stderr" = "mf-record: cannot run './no/such/program': No such file or directory" ]
	[ ! -e "$out" ]
}

@test "a program found in PATH is recorded" {
	run -0 env PATH="$PROGS:$PATH" $BIN/mf-record -o "$out" rec_basic 2
	valid_stream "$out"
	[ "$(head -1 "$out" | cut -d' ' -f7-)" = 'rec_basic 2' ]
}

@test "a statically linked program is refused" {
	printf 'int main(void) { return 0; }\n' > "$BATS_TEST_TMPDIR/s.c"
	cc -static -o "$BATS_TEST_TMPDIR/static" "$BATS_TEST_TMPDIR/s.c"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/static"
	[ "$stderr" = "mf-record: cannot record '$BATS_TEST_TMPDIR/static': it is statically linked, so the tracker cannot be preloaded" ]
	[ ! -e "$out" ]
}

@test "setuid and setgid programs are refused" {
	cp $PROGS/rec_basic "$BATS_TEST_TMPDIR/suid"
	chmod u+s "$BATS_TEST_TMPDIR/suid"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/suid"
	[ "$stderr" = "mf-record: cannot record '$BATS_TEST_TMPDIR/suid': it is setuid, so the dynamic loader would ignore the tracker" ]
	chmod u-s,g+s "$BATS_TEST_TMPDIR/suid"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/suid"
	[ "$stderr" = "mf-record: cannot record '$BATS_TEST_TMPDIR/suid': it is setgid, so the dynamic loader would ignore the tracker" ]
}

@test "a file that is not a program is refused" {
	printf 'just text\n' > "$BATS_TEST_TMPDIR/text"
	chmod +x "$BATS_TEST_TMPDIR/text"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/text"
	[ "$stderr" = "mf-record: cannot record '$BATS_TEST_TMPDIR/text': not an ELF program or a script" ]
	chmod -x "$BATS_TEST_TMPDIR/text"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/text"
	[ "$stderr" = "mf-record: cannot run '$BATS_TEST_TMPDIR/text': Permission denied" ]
}

@test "32-bit programs and programs of another architecture are refused" {
	# An ELF header of class 32 (byte 4 = 1), padded to 64 bytes.
	{ printf '\177ELF\001\001\001'; head -c 57 /dev/zero; } > "$BATS_TEST_TMPDIR/elf32"
	chmod +x "$BATS_TEST_TMPDIR/elf32"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/elf32"
	[ "$stderr" = "mf-record: cannot record '$BATS_TEST_TMPDIR/elf32': it is a 32-bit program; the tracker is 64-bit" ]
	# A real program with e_machine (bytes 18-19) changed to 0xffff.
	cp $PROGS/rec_basic "$BATS_TEST_TMPDIR/alien"
	printf '\377\377' | dd of="$BATS_TEST_TMPDIR/alien" bs=1 seek=18 conv=notrunc status=none
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/alien"
	[ "$stderr" = "mf-record: cannot record '$BATS_TEST_TMPDIR/alien': it is built for another architecture" ]
	[ ! -e "$out" ]
}

@test "the tracker is found in ../lib/mf after make install, and its absence is an error" {
	mkdir -p "$BATS_TEST_TMPDIR/prefix/bin" "$BATS_TEST_TMPDIR/prefix/lib/mf"
	cp "$BIN/mf-record" "$BATS_TEST_TMPDIR/prefix/bin/"
	run -1 --separate-stderr "$BATS_TEST_TMPDIR/prefix/bin/mf-record" -o "$out" $PROGS/rec_basic
	[ "$stderr" = "mf-record: cannot find the tracker 'libmf-record.so' in '$BATS_TEST_TMPDIR/prefix/bin' or '$BATS_TEST_TMPDIR/prefix/bin/../lib/mf'" ]
	cp "$BIN/libmf-record.so" "$BATS_TEST_TMPDIR/prefix/lib/mf/"
	run -0 "$BATS_TEST_TMPDIR/prefix/bin/mf-record" -o "$out" $PROGS/rec_basic 2
	valid_stream "$out"
	[ "$(allocs "$out" | awk '$1 == 12345' | wc -l)" -eq 2 ]
}

@test "a script is recorded through its interpreter" {
	printf '#!/bin/sh\nexit 4\n' > "$BATS_TEST_TMPDIR/script"
	chmod +x "$BATS_TEST_TMPDIR/script"
	run -4 $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/script"
	valid_stream "$out"
	grep -qx 'E [0-9]* [0-9]* [0-9]* [0-9]* 0 exit 4' "$out"
}

@test "a program the tracker never entered is an error, not an empty stream" {
	# A dynamically linked program whose "dynamic loader" is a static
	# program that exits at once: nothing ever loads the tracker.
	printf 'int main(void) { return 0; }\n' > "$BATS_TEST_TMPDIR/s.c"
	cc -static-pie -o "$BATS_TEST_TMPDIR/fakeld" "$BATS_TEST_TMPDIR/s.c"
	cc -o "$BATS_TEST_TMPDIR/prog" -Wl,--dynamic-linker="$BATS_TEST_TMPDIR/fakeld" "$BATS_TEST_TMPDIR/s.c"
	run -1 --separate-stderr $BIN/mf-record -o "$out" "$BATS_TEST_TMPDIR/prog"
	[ "$stderr" = "mf-record: the tracker did not attach to '$BATS_TEST_TMPDIR/prog', which ran untracked" ]
	[ ! -e "$out" ]
}

# The peak and end of a full stream, per thread and folded stack, as
# "P THREAD STACK COUNT BYTES" / "L ..." / "K BYTES" lines, sorted.
replay_full() {
	awk '
	$1 == "F" { fn = $6; for (i = 7; i <= NF; i++) fn = fn " " $i; frame[$2] = fn "@" $5 }
	$1 == "S" { s = frame[$4]; text[$2] = ($3 == 0 ? s : text[$3] ";" s) }
	$1 == "a" {
		n++; key[n] = $2 " " text[$3]; size[n] = $4; heap += $4
		if (heap > peak) {
			peak = heap
			delete pb; delete pc
			for (k in size) { pb[key[k]] += size[k]; pc[key[k]]++ }
		}
	}
	$1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; heap -= size[k]; delete size[k] }
	END {
		print "K", peak
		for (s in pb) print "P", s, pc[s], pb[s]
		for (k in size) { live[key[k]] += size[k]; lc[key[k]]++ }
		for (s in live) print "L", s, lc[s], live[s]
	}' "$1" | LC_ALL=C sort
}

replay_aggregate() {
	awk '
	$1 == "F" { fn = $6; for (i = 7; i <= NF; i++) fn = fn " " $i; frame[$2] = fn "@" $5 }
	$1 == "S" { s = frame[$4]; text[$2] = ($3 == 0 ? s : text[$3] ";" s) }
	$1 == "K" { print "K", $3 }
	$1 == "P" || $1 == "L" { print $1, $2, text[$3], $4, $5 }' "$1" | LC_ALL=C sort
}

@test "--aggregate gives the K, P and L records the full stream implies" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_peak
	valid_stream "$out"
	run -0 $BIN/mf-record --aggregate -o "$BATS_TEST_TMPDIR/agg.mft" $PROGS/rec_peak
	agg="$BATS_TEST_TMPDIR/agg.mft"
	awk 'NR == 1 && $3 == "aggregate" { ok = 1 } END { exit !ok }' "$agg"
	run -1 grep -m 3 '^[af] ' "$agg"
	run -1 grep -m 3 '^t ' "$agg"
	[ "$(tail -1 "$agg" | cut -d' ' -f3-)" = "$(tail -1 "$out" | cut -d' ' -f3-)" ]
	full=$(replay_full "$out")
	aggregated=$(replay_aggregate "$agg")
	[ "$full" = "$aggregated" ]
	# The program's own numbers: 36000 bytes at the peak (plus what the
	# C library holds), three sites of main live at it.
	echo "$aggregated" | grep -q '^P 1 .*;main@[0-9]*;large@[0-9]* 3 30000$'
	echo "$aggregated" | grep -q '^L 1 .*;main@[0-9]*;medium@[0-9]* 2 2000$'
	echo "$aggregated" | grep -q '^L 1 .*;main@[0-9]*;small@[0-9]* 9 900$'
	echo "$aggregated" | grep -q '^L 2 .*;helper@[0-9]*;medium@[0-9]* 1 1000$'
}

# The times of allocations 20 ms and then 30 ms apart (tests/progs/shim_sleep.c):
# a record's time is that of the t or m record before it.  Each recorded gap
# is at least the sleep, and at most the gap the program measured on the same
# clock from before the first allocation to after the second (however long a
# loaded machine kept it waiting) plus 2 ms: the later allocation's time is
# no later than it happened (docs/FORMAT.md); the earlier one's is no earlier
# than its clock reading rounded down to whole milliseconds (1 ms), a
# reading that may be up to 0.5 ms old (mf-record/proto.h); 0.5 ms more for
# the launcher's conversion of time stamp counter readings.
sleeps_seen() {
	run -0 --separate-stderr $BIN/mf-record -f -o "$out" $PROGS/shim_sleep --gaps
	valid_stream "$out"
	read -r word gap12 gap23 <<<"$output"
	[ "$word" = gaps ]
	read -r t1 t2 t3 < <(awk '$1 == "t" || $1 == "m" { now = $2 } $1 == "a" && $4 == 1000 { t1 = now }
		$1 == "a" && $4 == 2000 { t2 = now } $1 == "a" && $4 == 3000 { t3 = now }
		END { print t1, t2, t3 }' "$out")
	echo "recorded gaps $((t2 - t1)) ms, $((t3 - t2)) ms; measured $gap12 us, $gap23 us"
	[ $((t2 - t1)) -ge 20 ]
	[ $(((t2 - t1) * 1000)) -le $((gap12 + 2000)) ]
	[ $((t3 - t2)) -ge 30 ]
	[ $(((t3 - t2) * 1000)) -le $((gap23 + 2000)) ]
}

@test "times of events: sleeps seen (time stamp counter)" {
	needs_tsc
	MF_CLOCK=tsc sleeps_seen
}

@test "times of events: sleeps seen (shared counter)" {
	MF_CLOCK=counter sleeps_seen
}

@test "memory records come every interval, time never goes back" {
	run -0 $BIN/mf-record --interval 1 -o "$out" $PROGS/rec_basic 20000
	valid_stream "$out"
	# Consecutive m records are one interval apart.
	awk '$1 == "m" { if (last != "" && $2 != last + 1) exit 1; last = $2; n++ } END { exit n < 1 }' "$out"
	# HEAP is the sum of live bytes at that point of the stream.
	awk '$1 == "a" { n++; size[n] = $4; heap += $4 } $1 == "f" { k = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = k; heap -= size[k] } $1 == "m" && $3 != heap { exit 1 }' "$out"
	# RSS was read from the living process.
	awk '$1 == "m" && $4 == 0 { exit 1 }' "$out"
}

@test "keys taken and never written, a free never settled: lost, the events after them kept (shared counter)" {
	MF_CLOCK=counter run -0 $BIN/mf-record -o "$out" $PROGS/rec_lost
	valid_stream "$out"
	[ "$(awk '$1 == "a" { print $4 }' "$out" | tail -2 | tr '\n' ' ')" = "100 200 " ]
	[ "$(grep '^f ' "$out" | tail -2 | tr '\n' ' ')" = "f 1 1 f 1 0 " ]
	grep -qx 'E [0-9]* [0-9]* [0-9]* 0 4 exit 0' "$out"
}

# With the time stamp counter no key is taken ahead: only the pending free is lost.
@test "keys taken and never written, a free never settled: lost, the events after them kept (time stamp counter)" {
	needs_tsc
	MF_CLOCK=tsc run -0 $BIN/mf-record -f -o "$out" $PROGS/rec_lost
	valid_stream "$out"
	[ "$(awk '$1 == "a" { print $4 }' "$out" | tail -2 | tr '\n' ' ')" = "100 200 " ]
	[ "$(grep '^f ' "$out" | tail -2 | tr '\n' ' ')" = "f 1 1 f 1 0 " ]
	grep -qx 'E [0-9]* [0-9]* [0-9]* 0 1 exit 0' "$out"
}

@test "1500 threads one after the other: slots are reused, every thread numbered" {
	run -0 $BIN/mf-record -o "$out" $PROGS/rec_manythreads
	valid_stream "$out"
	[ "$(awk '$1 == "a" && $4 == 3000 { print $2 }' "$out" | sort -u | wc -l)" -eq 1500 ]
	[ "$(awk '$1 == "T" { print $2 }' "$out" | sort -un | wc -l)" -eq 1501 ]
	grep -qx 'E [0-9]* 1501 1500 0 0 exit 0' "$out"
}

@test "make demo's recording works" {
	local demo=${MF_BUILD:-build}/examples/demo
	make -s BUILD="${MF_BUILD:-build}" "$demo"
	run -0 $BIN/mf-record -f -o "$BATS_TEST_TMPDIR/demo.mft.gz" "$demo"
	zcat "$BATS_TEST_TMPDIR/demo.mft.gz" > "$out"
	valid_stream "$out"
	[ "$(allocs "$out" | grep -c '^200000 malloc 1 fill@[^|]*|g@')" -eq 3 ]
}

# page_advice CMD...: run CMD under strace; "$advice" gets the advice the
# capture's writer gave the kernel about its pages (output_drop_behind in
# lib/output.h), one "CALL OFFSET LENGTH ADVICE" line each.  Under
# ptrace LeakSanitizer cannot work (the sanitized build's pass): the other
# tests look for leaks.
page_advice() {
	advice=$BATS_TEST_TMPDIR/advice
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f --seccomp-bpf -qq -e signal=none -e trace=sync_file_range,fadvise64 \
		-o "$advice.strace" "$@"
	sed -E 's/^[0-9]+ +([a-z0-9_]+)\([0-9]+, ([0-9]+), ([0-9]+), ([A-Z_]+)\) += 0$/\1 \2 \3 \4/' \
		"$advice.strace" >"$advice"
}

# The advice a capture of $1 bytes gets: each whole MiB sent to the disk
# once written, and the MiB 64 MiB before it let go.
advice_for() {
	awk -v size="$1" 'BEGIN {
		m = 1048576
		for (k = 0; k < int(size / m); k++) {
			print "sync_file_range", k * m, m, "SYNC_FILE_RANGE_WRITE"
			if (k >= 64)
				print "fadvise64", (k - 64) * m, m, "POSIX_FADV_DONTNEED"
		}
	}'
}

@test "a capture file's pages: each MiB written is sent to the disk; a pipe's and a device's get no advice" {
	page_advice $BIN/mf-record -o "$out" $PROGS/rec_churn 100000
	valid_stream "$out"
	[ "$(stat -c %s "$out")" -gt 1048576 ]
	[ "$(cat "$advice")" = "$(advice_for "$(stat -c %s "$out")")" ]
	page_advice $BIN/mf-record -o - $PROGS/rec_churn 100000 | cat >"$out"
	valid_stream "$out"
	[ ! -s "$advice" ]
	page_advice $BIN/mf-record -f -o /dev/null $PROGS/rec_churn 100000
	[ ! -s "$advice" ]
}

# bats test_tags=slow
@test "a capture of 67 MiB keeps its last 64 MiB in the page cache: the MiB before are let go as it goes" {
	page_advice $BIN/mf-record -o "$out" $PROGS/rec_churn 4000000
	valid_stream "$out"
	[ "$(stat -c %s "$out")" -gt $((65 * 1048576)) ]
	[ "$(cat "$advice")" = "$(advice_for "$(stat -c %s "$out")")" ]
	[ "$(grep -c fadvise64 "$advice")" -ge 1 ]
}
