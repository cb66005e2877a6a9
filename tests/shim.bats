#!/usr/bin/env bats
# The preloaded tracker (bin/libmf-record.so), seen through shim_dump, a
# test-only reader that sets up the shared memory like mf-record and prints
# the raw events in order (see tests/progs/shim_dump.c for the line format).

load helpers

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	DUMP=$PROGS/shim_dump
	T=$PROGS
	# The tracker of the build under test (shim_dump's default is bin/'s).
	export MF_SHIM=$BIN/libmf-record.so
}

# The events between the marker allocations malloc(11111) and malloc(22222).
between_markers() {
	sed -n '/^a [0-9]* malloc 11111 /,/^a [0-9]* malloc 22222 /p' <<<"$output"
}

@test "shim: exports only the interposed functions, and mf-record -p's start and stop" {
	run -0 bash -c "nm -D --defined-only $BIN/libmf-record.so | awk '{print \$3}' | sort | tr '\n' ' '"
	[ "$output" = "_Exit _exit aligned_alloc calloc dlclose execl execle execlp execv execve execvp execvpe fexecve free malloc memalign mf_attach_start mf_attach_stop mmap mmap64 mprotect mremap munmap popen posix_memalign posix_spawn posix_spawnp prctl pthread_setname_np pvalloc realloc reallocarray system valloc " ]
}

@test "shim: every intercepted function makes exactly its events" {
	run -0 $DUMP $T/shim_calls
	run -0 grep -v '^s' <<<"$(between_markers)"
	[ "$output" = "a 1 malloc 11111 @1 1
f 1 @1
a 1 malloc 100 @2 2
f 1 @2
a 1 calloc 21 @3 3
f 1 @3 pending
a 1 realloc 200 @4 4 settles
f 1 @4 pending
a 1 realloc 300000 @5 5 settles
f 1 @5
a 1 realloc 40 @6 6
f 1 @6 pending
x 1 1
a 1 reallocarray 30 @7 7
f 1 @7 pending
a 1 reallocarray 56 @8 8 settles
f 1 @8
a 1 posix_memalign 50 @9 9
f 1 @9
a 1 aligned_alloc 256 @10 10
f 1 @10
a 1 memalign 60 @11 11
f 1 @11
a 1 valloc 70 @12 12
f 1 @12
a 1 pvalloc 80 @13 13
f 1 @13
a 1 mmap 8192 @14 14
u 1 @14 8192 pending
a 1 mremap 12288 @15 15 settles
u 1 @15 12288
u 1 @? 4096
a 1 mmap 4096 @16 16
u 1 @16 4096
a 1 malloc 90 @17 17
f 1 @17 pending
x 1 0
f 1 @17
a 1 malloc 22222 @18 18" ]
}

@test "shim: a realloc's free is published pending before the call and settled after it" {
	run -0 $DUMP $T/shim_calls
	# realloc(p, huge) fails: its pending free is settled as not done
	# (x 1 0) and p stays live; realloc(p, 0) frees p (x 1 1); a realloc
	# that moves settles with its new block.  mremap's pending event
	# unmaps the old range.  Failing calls without a block (overflow,
	# huge) leave no trace.
	[ "$(grep -c ' pending$' <<<"$output")" = 6 ]
	[ "$(grep -c '^x ' <<<"$output")" = 2 ]
	[ "$(grep -c ' settles$' <<<"$output")" = 4 ]
	[ "$(grep -A2 '^a 1 malloc 90 ' <<<"$output" | tail -2 | tr '\n' ' ')" = "f 1 @17 pending x 1 0 " ]
	[ "${lines[-6]}" = "# gaps 0" ]
}

@test "shim: with MF_CLOCK=tsc, the same events in the same order" {
	run -0 $DUMP $T/shim_calls
	local counter=$(between_markers)
	MF_CLOCK=tsc run -0 $DUMP $T/shim_calls
	[ "$(between_markers)" = "$counter" ]
}

@test "shim: stacks start at the caller of the allocator, shim frames dropped" {
	run -0 $DUMP $T/shim_calls
	stack=$(grep '^s 1 ' <<<"$output")
	# main, __libc_start_call_main, __libc_start_main, _start
	[ "$(cut -d' ' -f3 <<<"$stack")" = 4 ]
	frame=$(cut -d' ' -f4 <<<"$stack")
	[ "${frame%%+*}" = shim_calls ]
	pc=$(( ${frame#*+} - 1 ))
	line=$(grep -n 'free(malloc(11111));' tests/progs/shim_calls.c | cut -d: -f1)
	run -0 addr2line -f -e $T/shim_calls $(printf '0x%x' $pc)
	[ "${lines[0]}" = main ]
	[ "${lines[1]}" = "$PWD/tests/progs/shim_calls.c:$line" ]
}

@test "shim: modules are sent before the first stack, the vdso never" {
	run -0 $DUMP $T/shim_calls
	[ "${lines[0]}" = "T 1 shim_calls" ]
	[ "${lines[1]}" = "M $T/shim_calls" ]
	grep -q '^M .*/libc.so.6$' <<<"$output"
	! grep 'vdso' <<<"$output" || false
	first_module=$(grep -n '^M ' <<<"$output" | tail -1 | cut -d: -f1)
	first_stack=$(grep -n '^s ' <<<"$output" | head -1 | cut -d: -f1)
	[ "$first_module" -lt "$first_stack" ]
}

@test "shim: time stamps: after the start, in order, sleeps seen" {
	run -0 $DUMP -t $T/shim_sleep
	[ "${lines[-4]}" = "# time-errors 0" ]
	# One thread: its times never go back.
	[ "$(awk '/^\+/ { t = substr($1, 2) + 0; if (t < last) bad++; last = t } END { print bad + 0 }' <<<"$output")" = 0 ]
	t1=$(awk '$2 == "a" && $5 == 1000 { print substr($1, 2) }' <<<"$output")
	t2=$(awk '$2 == "a" && $5 == 2000 { print substr($1, 2) }' <<<"$output")
	t3=$(awk '$2 == "a" && $5 == 3000 { print substr($1, 2) }' <<<"$output")
	[ $((t2 - t1)) -ge 20 ]
	[ $((t3 - t2)) -ge 30 ]
}

@test "shim: a library loaded later is sent once, before the first stack into it" {
	run -0 $DUMP $T/shim_dlopen
	[ "$(grep -c '^M .*/libz\.so\.1$' <<<"$output")" = 1 ]
	module=$(grep -n '^M .*/libz\.so\.1$' <<<"$output" | cut -d: -f1)
	stack=$(grep -n '^s .* libz\.so\.1+' <<<"$output" | head -1 | cut -d: -f1)
	[ -n "$stack" ]
	[ "$module" -lt "$stack" ]
	[ "${lines[-1]}" = "# exit 0" ]
}

@test "shim: a signal handler's allocations are all recorded, even mid-unwind" {
	run -0 --separate-stderr $DUMP $T/shim_signal
	calls=$stderr
	[ "$calls" -gt 0 ]
	[ "$(grep -c '^a 1 malloc 8882 ' <<<"$output")" = "$calls" ]
	[ "$(grep -c '^f 1 ' <<<"$output")" = "$(grep -c '^a 1 ' <<<"$output")" ]
	[ "$(grep -c '^a 1 malloc 8883 ' <<<"$output")" = 30000 ]
	! grep -m 3 '@?' <<<"$output" || false
	[ "${lines[-6]}" = "# gaps 0" ]
	# A handler that interrupted the unwinder gets a one-frame stack: its call site.
	[ "$(awk '$1 == "s" && $3 == "1+" && $4 !~ /^shim_signal\+/' <<<"$output" | wc -l)" = 0 ]
}

@test "shim: when the reader dies, the program runs on untracked" {
	dir=$BATS_TEST_TMPDIR
	$DUMP -c $T/shim_orphan "$dir" >/dev/null 2>&1 &
	reader=$!
	for i in $(seq 300); do [ -e "$dir/started" ] && break; sleep 0.1; done
	[ -e "$dir/started" ]
	kill -9 "$reader"
	wait "$reader" || true
	# Its ring fills up in well under a second with nobody reading it.
	sleep 1
	touch "$dir/stop"
	for i in $(seq 300); do [ -e "$dir/done" ] && break; sleep 0.1; done
	[ -e "$dir/done" ]
}

# dump_is PROGRAM DUMP: shim_dump of PROGRAM (of the build's tests) exits
# 0 and its lines but the s and M records are exactly DUMP.
dump_is() {
	run -0 $DUMP "$T/$1"
	run -0 grep -v '^[sM]' <<<"$output"
	[ "$output" = "$2" ]
}

@test "shim: bootstrap: the first allocation is a calloc in a constructor" {
	dump_is shim_ctor "T 1 shim_ctor
a 1 calloc 4242 @1 1
f 1 @1
# gaps 0
# paddings 0
# time-errors 0
# attached 1
# threads 1
# exit 0"
}

@test "shim: a forked child is never recorded, and its thread exit is harmless" {
	# The child (forked from a second thread) ends with pthread_exit: the
	# program's exit status is the child's, 100 + signal if it crashed.
	dump_is shim_fork "T 1 shim_fork
a 1 malloc 11111 @1 1
f 1 @1
a 1 calloc 304 @2 2
T 2 shim_fork
a 2 malloc 33333 @3 3
f 2 @3
a 1 malloc 22222 @4 4
f 1 @4
# gaps 0
# paddings 0
# time-errors 0
# attached 1
# threads 2
# exit 0"
}

@test "shim: an exec'd program runs untracked and the memfd is closed" {
	run -0 $DUMP $T/shim_exec
	[ "${lines[0]}" = "parent: LD_PRELOAD=unset MF_SHM_FD=unset memfds=0" ]
	[ "${lines[1]}" = "child: LD_PRELOAD=unset MF_SHM_FD=unset memfds=0" ]
	! grep ' 55555 ' <<<"$output" || false
	grep -q '^a 1 malloc 11111 ' <<<"$output"
	[ "${lines[-1]}" = "# exit 0" ]
}

@test "shim: without MF_SHM_FD the program runs untracked, silently" {
	LD_PRELOAD=$BIN/libmf-record.so run -0 --separate-stderr $T/shim_calls
	[ "$stderr" = "" ]
	LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD= run -0 --separate-stderr $T/shim_calls
	[ "$stderr" = "" ]
}

# Not a number, not open, not a file, a file too small (mapping it and
# reading past its end was a SIGBUS), a file of the wrong size: each is
# checked before anything is mapped.
@test "shim: an MF_SHM_FD that is not mf-record's shared memory: one warning, the program runs untracked" {
	warning="libmf-record.so: MF_SHM_FD does not name mf-record's shared memory; the program runs untracked"
	: >"$BATS_TEST_TMPDIR/empty"
	printf 'erfm\003\000\000\000' >"$BATS_TEST_TMPDIR/header"
	head -c 200000 /dev/zero >"$BATS_TEST_TMPDIR/zeros"
	LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD=x run -0 --separate-stderr $T/shim_calls
	[ "$stderr" = "$warning" ]
	LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD=99 run -0 --separate-stderr $T/shim_calls
	[ "$stderr" = "$warning" ]
	LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD=5 run -0 --separate-stderr $T/shim_calls 5<>/dev/null
	[ "$stderr" = "$warning" ]
	for f in empty header zeros; do
		LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD=5 run -0 --separate-stderr $T/shim_calls 5<>"$BATS_TEST_TMPDIR/$f"
		[ "$stderr" = "$warning" ]
	done
	# The file is neither written nor closed.
	[ "$(od -An -tx1 "$BATS_TEST_TMPDIR/header")" = " 65 72 66 6d 03 00 00 00" ]
	[ ! -s "$BATS_TEST_TMPDIR/empty" ]
	printf 'left alone\n' >"$BATS_TEST_TMPDIR/in"
	LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD=0 run -0 --separate-stderr cat <"$BATS_TEST_TMPDIR/in"
	[ "$output" = "left alone" ]
	[ "$stderr" = "$warning" ]
	# Warned once: programs it execs run without the variables.
	LD_PRELOAD=$BIN/libmf-record.so MF_SHM_FD=99 run -0 --separate-stderr $T/shim_exec
	[ "$output" = "parent: LD_PRELOAD=unset MF_SHM_FD=unset memfds=0
child: LD_PRELOAD=unset MF_SHM_FD=unset memfds=0" ]
	[ "$stderr" = "$warning" ]
}

@test "shim: 64 threads allocating at once: every event, in order, named" {
	run -0 $DUMP $T/shim_threads
	[ "${lines[-6]}" = "# gaps 0" ]
	[ "${lines[-2]}" = "# threads 65" ]
	# Each worker: 1000 allocations of its own size (1000 + index).
	counts=$(awk '$1 == "a" && $4 >= 1000 && $4 < 1064 { print $2, $4 }' <<<"$output" |
		sort | uniq -c | awk '{ print $1 }' | uniq -c)
	[ "$counts" = "     64 1000" ]
	[ "$(awk '$1 == "a" && $4 >= 1000 && $4 < 1064 { print $4 }' <<<"$output" | sort -u | wc -l)" = 64 ]
	# Each worker: its 1000 blocks and the 31337 one, each freed.
	counts=$(awk '$1 == "a" && $2 != 1 { print $2 }' <<<"$output" | sort | uniq -c | awk '{ print $1 }' | uniq -c)
	[ "$counts" = "     64 1001" ]
	counts=$(awk '$1 == "f" && $2 != 1 { print $2 }' <<<"$output" | sort | uniq -c | awk '{ print $1 }' | uniq -c)
	[ "$counts" = "     64 1001" ]
	! grep -m 3 '@?' <<<"$output" || false
	# The thread that named itself allocated 1000 bytes each time, and so on.
	n0=$(awk '$1 == "T" && $3 == "worker-0" { print $2 }' <<<"$output")
	n1=$(awk '$1 == "T" && $3 == "worker-1" { print $2 }' <<<"$output")
	n2=$(awk '$1 == "a" && $4 == 1002 { print $2; exit }' <<<"$output")
	[ "$(awk -v n=$n0 '$1 == "a" && $2 == n && $4 == 1000' <<<"$output" | wc -l)" = 1000 ]
	[ "$(awk -v n=$n1 '$1 == "a" && $2 == n && $4 == 1001' <<<"$output" | wc -l)" = 1000 ]
	[ "$(grep -c "^R 1 $n2 renamed-2\$" <<<"$output")" = 1 ]
	# Each name once, each thread announced once.
	[ "$(grep -c '^T .* worker-' <<<"$output")" = 2 ]
	[ "$(grep -c '^T ' <<<"$output")" = 65 ]
}

@test "shim: allocations after the thread's exit hook ran are still recorded" {
	run -0 $DUMP $T/shim_threads
	# A later key destructor allocates 31337 bytes in every worker.
	[ "$(awk '$1 == "a" && $4 == 31337 { print $2 }' <<<"$output" | sort -un | wc -l)" = 64 ]
	[ "$(awk '$1 == "a" && $4 == 31337 && $2 == 1' <<<"$output" | wc -l)" = 0 ]
}

# 2000 threads wait on one barrier with 4 slots: main and three workers
# are recorded; the other 1997 workers neither wait for a slot (that would
# hang the program) nor write: their 5 allocations and 5 frees each are
# counted as dropped.
@test "shim: more threads alive than slots: the rest run on, their events counted as dropped" {
	SHIM_DUMP_SLOTS=4 run -0 $DUMP $T/fault_manythreads
	# Three threads get the three free slots, 5 allocations each; which three
	# of the twenty is a race (a thread that exits early gives its slot back).
	[ "$(awk '$1 == "a" && $4 == 6661 { print $2 }' <<<"$output" | sort | uniq -c | awk '{ print $1 }' | tr '\n' ' ')" = "5 5 5 " ]
	[ "$(grep -c '^T ' <<<"$output")" = 4 ]
	[ "${lines[-7]}" = "# dropped 19970" ]
	[ "${lines[-1]}" = "# exit 0" ]
}

@test "shim: more threads than slots: slots given back are claimed again" {
	SHIM_DUMP_SLOTS=100 run -0 $DUMP $T/shim_slots 1100
	[ "$(grep -c '^a .* 4321 ' <<<"$output")" = 1100 ]
	[ "$(awk '$1 == "a" && $4 == 4321 { print $2 }' <<<"$output" | sort -u | wc -l)" = 1100 ]
	[ "${lines[-2]}" = "# threads 1101" ]
	[ "${lines[-6]}" = "# gaps 0" ]
}

@test "shim: the rings wrap with padding and lose nothing" {
	run -0 $DUMP $T/shim_many 300000
	[ "$(grep -c '^a 1 malloc ' <<<"$output")" = 300000 ]
	[ "$(grep -c '^f 1 ' <<<"$output")" = 300000 ]
	[ "$(grep -c '^T 1 ' <<<"$output")" = 301 ]
	[ "$(grep -c '^s ' <<<"$output")" = 3 ]
	! grep -m 3 '@?' <<<"$output" || false
	[ "${lines[-6]}" = "# gaps 0" ]
	[ "${lines[-5]}" != "# paddings 0" ]
}

@test "shim: a stack of 128 frames is whole, deeper ones keep the innermost 128" {
	run -0 $DUMP $T/shim_deep 123
	whole=$(grep '^s ' <<<"$output" | tail -1)
	[ "$(cut -d' ' -f3 <<<"$whole")" = 128 ]
	run -0 $DUMP $T/shim_deep 124
	cut=$(grep '^s ' <<<"$output" | tail -1)
	[ "$(cut -d' ' -f3 <<<"$cut")" = "128+" ]
	run -0 $DUMP $T/shim_deep 300
	deep=$(grep '^s ' <<<"$output" | tail -1)
	[ "$(cut -d' ' -f3 <<<"$deep")" = "128+" ]
	[ "$(wc -w <<<"$deep")" = 131 ]
	# Innermost first: the frame that called malloc, then 127 of dive's.
	expect=$(cut -d' ' -f4 <<<"$whole")
	for i in $(seq 127); do expect="$expect $(cut -d' ' -f5 <<<"$whole")"; done
	[ "$(cut -d' ' -f4- <<<"$deep")" = "$expect" ]
	[ "$(cut -d' ' -f4 <<<"$whole")" != "$(cut -d' ' -f5 <<<"$whole")" ]
}

@test "shim: events survive abort, a crash, _exit and exit from a thread" {
	run -0 $DUMP $T/shim_crash abort
	grep -q '^a 1 malloc 12345 ' <<<"$output"
	[ "${lines[-1]}" = "# signal 6" ]
	run -0 $DUMP $T/shim_crash segv
	grep -q '^a 1 malloc 12345 ' <<<"$output"
	[ "${lines[-1]}" = "# signal 11" ]
	run -0 $DUMP $T/shim_crash _exit
	grep -q '^a 1 malloc 12345 ' <<<"$output"
	[ "${lines[-1]}" = "# exit 7" ]
	run -0 $DUMP $T/shim_crash thread-exit
	grep -q '^a 1 malloc 12345 ' <<<"$output"
	grep -q '^a 2 malloc 54321 ' <<<"$output"
	[ "${lines[-1]}" = "# exit 9" ]
	[ "${lines[-6]}" = "# gaps 0" ]
}

@test "shim: a call site reached from different callers gets each caller's stack" {
	run -0 $DUMP $T/shim_shapes
	# Stack id -> third frame (the outer caller); each size has its own.
	counts=$(awk '$1 == "s" { f[$2] = $6 } $1 == "a" && ($4 == 101 || $4 == 102) { print $4, f[$6] }' <<<"$output" |
		sort | uniq -c | awk '{ print $1, $2 }')
	[ "$counts" = "12000 101
8000 102" ]
	a=$(awk '$1 == "s" { f[$2] = $6 } $1 == "a" && $4 == 101 { print f[$6]; exit }' <<<"$output")
	b=$(awk '$1 == "s" { f[$2] = $6 } $1 == "a" && $4 == 102 { print f[$6]; exit }' <<<"$output")
	[ "$a" != "$b" ]
	[ "${a%%+*}" = shim_shapes ]
}

# --- end to end, through the launcher ---

# The a and f records between the markers, stack ids left out.
records_between_markers() {
	awk '$1 == "a" && $4 == 11111 { on = 1 }
	     on && $1 == "a" { print $1, $2, $4, $5 }
	     on && $1 == "f" { print }
	     $1 == "a" && $4 == 22222 { exit }' "$1"
}

@test "shim+mf-record: every intercepted function, as the capture says it" {
	run -0 "$BIN/mf-record" -o "$BATS_TEST_TMPDIR/c.mft" $T/shim_calls
	run -0 records_between_markers "$BATS_TEST_TMPDIR/c.mft"
	[ "$output" = "a 1 11111 
f 1 0
a 1 100 
f 1 0
a 1 21 calloc
f 1 0
a 1 200 realloc
f 1 0
a 1 300000 realloc
f 1 0
a 1 40 realloc
f 1 0
a 1 30 reallocarray
f 1 0
a 1 56 reallocarray
f 1 0
a 1 50 posix_memalign
f 1 0
a 1 256 aligned_alloc
f 1 0
a 1 60 memalign
f 1 0
a 1 70 valloc
f 1 0
a 1 80 pvalloc
f 1 0
a 1 8192 mmap
f 1 0
a 1 12288 mremap
f 1 0
a 1 4096 mmap
f 1 0
a 1 90 
f 1 0
a 1 22222 " ]
	# The file mapping's munmap is the one free of a block never allocated.
	[ "$(tail -1 "$BATS_TEST_TMPDIR/c.mft" | cut -d' ' -f3-)" = "18 18 1 0 exit 0" ]
}

@test "shim+mf-record: 64 threads, their names and a rename" {
	run -0 "$BIN/mf-record" -o "$BATS_TEST_TMPDIR/t.mft" $T/shim_threads
	out=$BATS_TEST_TMPDIR/t.mft
	[ "$(grep -c '^a ' "$out")" = 64128 ]
	[ "$(awk '$1 == "a" && $2 != 1' "$out" | wc -l)" = 64064 ]
	# Each thread's latest name (a worker may start before or after main
	# renames it).
	[ "$(awk '$1 == "T" { name[$2] = $4 } END { for (t in name) print name[t] }' "$out" |
		sort | uniq -c | tr -s ' ')" = " 1 renamed-2
 62 shim_threads
 1 worker-0
 1 worker-1" ]
	[ "$(tail -1 "$out" | cut -d' ' -f3,6-)" = "64128 0 exit 0" ]
}

@test "shim+mf-record: a stack deeper than 128 frames ends in <STACK TOO DEEP>" {
	run -0 "$BIN/mf-record" -o "$BATS_TEST_TMPDIR/d.mft" $T/shim_deep 300
	grep -q '^F [0-9]* 0 ? 0 <STACK TOO DEEP>$' "$BATS_TEST_TMPDIR/d.mft"
	run -0 "$BIN/mf-record" -o "$BATS_TEST_TMPDIR/w.mft" $T/shim_deep 123
	run -1 grep 'STACK TOO DEEP' "$BATS_TEST_TMPDIR/w.mft"
}

@test "shim+mf-record: an aborting program's allocations are in the capture" {
	run -134 "$BIN/mf-record" -o "$BATS_TEST_TMPDIR/a.mft" $T/shim_crash abort
	[ "$(awk '$1 == "a" && $4 == 12345' "$BATS_TEST_TMPDIR/a.mft" | wc -l)" = 1 ]
	[ "$(tail -1 "$BATS_TEST_TMPDIR/a.mft" | cut -d' ' -f7-)" = "signal 6" ]
}
