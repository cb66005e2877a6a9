#!/usr/bin/env bats
# mf-record and the processes around the recorded one: the user's own
# LD_PRELOAD, the processes the program starts (--follow-fork), and the
# reducers on the captures of several processes.

bats_require_minimum_version 1.5.0
load helpers

# One recording of each multi-process program, shared by the tests.
setup_file() {
	cd "$ROOT"
	for prog in fork_family fork_orphan fork_daemon; do
		mkdir "$BATS_FILE_TMPDIR/$prog"
		$BIN/mf-record --follow-fork -o "$BATS_FILE_TMPDIR/$prog/cap.mft" $PROGS/$prog \
			>"$BATS_FILE_TMPDIR/$prog.out" 2>"$BATS_FILE_TMPDIR/$prog.err" ||
			echo $? >"$BATS_FILE_TMPDIR/$prog.status"
	done
}

setup() {
	cd "$ROOT"
	out="$BATS_TEST_TMPDIR/out.mft"
	mark=$PROGS/libpreload_mark.so
}

# The captures in DIR, one line each, sorted: the file name, the origin
# comment, the command (its program's base name), the a and f records
# (a SIZE, f, X for an exec) and the E record without its time.  The process ids are
# written P (the first process) and C (the capture's own).
captures() {
	local dir=$1 main
	main=$(awk '$1 == "H" { print $4; exit }' "$dir/cap.mft")
	for f in "$dir"/cap*.mft; do
		awk -v P="$main" -v name="${f##*/}" '
		$1 == "H" { pid = $4; n = split($7, parts, "/"); cmd = parts[n]; for (i = 8; i <= NF; i++) cmd = cmd " " $i }
		$1 == "#" && $2 == "from" { origin = $3 " " ($4 == P ? "P" : $4 == pid ? "C" : $4) }
		$1 == "a" { ev = ev " a " $4 }
		$1 == "f" { ev = ev " f" }
		$1 == "X" { ev = ev " X" }
		$1 == "E" { end = $3 " " $4 " " $5 " " $6 " " $7 " " $8 }
		END {
			if (pid != P) sub("\\." pid "\\.", ".C.", name)
			print name " [" origin "] " cmd ":" ev " | E " end
		}' "$f"
	done | LC_ALL=C sort
}

@test "LD_PRELOAD: the user's library stays preloaded in the program and what it execs; mf's tracker does not" {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=$mark run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/env_preload
	[ "$output" = "parent: LD_PRELOAD=$mark getpid=4242
child: LD_PRELOAD=$mark getpid=4242" ]
	# Loaded in mf-record itself (the shell preloads it), the program and the exec'd one.
	[ "$stderr" = "preload_mark: loaded
preload_mark: loaded
preload_mark: loaded" ]
	# Recorded all the same: the program's block, then the exec'd program's.
	[ "$(awk '$1 == "a" && $4 == 11111' "$out" | wc -l)" = 2 ]
	[ "$(grep -c '^X ' "$out")" = 1 ]
	grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 0' "$out"
}

@test "LD_PRELOAD: several libraries keep their order and separators" {
	libm=$(ldconfig -p | awk '$1 == "libm.so.6" && /x86-64/ { print $NF; exit }')
	[ -n "$libm" ]
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD="$libm $mark:$libm" run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/env_preload
	[ "$output" = "parent: LD_PRELOAD=$libm $mark:$libm getpid=4242
child: LD_PRELOAD=$libm $mark:$libm getpid=4242" ]
}

@test "LD_PRELOAD: a shell that keeps its own copy of the environment passes on the user's, not mf's" {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 LD_PRELOAD=$mark run -0 --separate-stderr $BIN/mf-record -o "$out" bash -c "$PROGS/env_preload; true"
	[ "$output" = "parent: LD_PRELOAD=$mark getpid=4242
child: LD_PRELOAD=$mark getpid=4242" ]
	run -0 --separate-stderr env -u LD_PRELOAD $BIN/mf-record -o "$out" -f bash -c "$PROGS/env_preload; true"
	[ "$output" = "parent: LD_PRELOAD=(unset) getpid=real
child: LD_PRELOAD=(unset) getpid=real" ]
	[ "$stderr" = "mf-record: 1 process started by the program ran unrecorded: --follow-fork records them" ]
}

@test "LD_PRELOAD: without one set, the program sees none" {
	run -0 --separate-stderr env -u LD_PRELOAD $BIN/mf-record -o "$out" $PROGS/env_preload
	[ "$output" = "parent: LD_PRELOAD=(unset) getpid=real
child: LD_PRELOAD=(unset) getpid=real" ]
}

@test "--follow-fork: a parent and three children, one of which execs: each capture exact" {
	[ ! -e "$BATS_FILE_TMPDIR/fork_family.status" ]
	[ ! -s "$BATS_FILE_TMPDIR/fork_family.err" ]
	run -0 captures "$BATS_FILE_TMPDIR/fork_family"
	# The child's free of its parent's 1000-byte block is neither written
	# nor untracked; the exec'd program continues its process's capture.
	[ "$output" = "cap.C.mft [fork P] fork_family: a 111 | E 1 0 0 0 exit 0
cap.C.mft [fork P] fork_family: a 222 X a 333 f a 3333 | E 3 1 0 0 exit 7
cap.C.mft [fork P] fork_family: a 444 f | E 1 1 0 0 exit 5
cap.mft [] fork_family: a 1000 a 2000 f | E 2 1 0 0 exit 0" ]
	cat "$BATS_FILE_TMPDIR"/fork_family/cap.*.mft | grep -qx 'X [0-9]* .*/fork_family execd'
	# Each capture reads back whole.
	for f in "$BATS_FILE_TMPDIR"/fork_family/cap*.mft; do
		$BIN/mf-leaks "$f" >/dev/null
	done
}

@test "--follow-fork: a child that outlives its parent is recorded whole" {
	[ "$(cat "$BATS_FILE_TMPDIR/fork_orphan.status")" = 3 ]
	run -0 captures "$BATS_FILE_TMPDIR/fork_orphan"
	[ "$output" = "cap.C.mft [fork P] fork_orphan: a 2000 f a 3000 | E 2 1 0 0 exit 4
cap.mft [] fork_orphan: a 1000 | E 1 0 0 0 exit 3" ]
}

@test "--follow-fork: a double-forking daemon that closes every descriptor is recorded whole" {
	[ ! -e "$BATS_FILE_TMPDIR/fork_daemon.status" ]
	dir=$BATS_FILE_TMPDIR/fork_daemon
	main=$(awk '$1 == "H" { print $4; exit }' "$dir/cap.mft")
	child=$(grep -l "^# from fork $main\$" "$dir"/cap.*.mft)
	child=${child##*/cap.}; child=${child%.mft}
	run -0 captures "$dir"
	[ "$output" = "cap.C.mft [fork $child] fork_daemon: a 5000 f a 6000 | E 2 1 0 0 exit 9
cap.C.mft [fork P] fork_daemon: a 2000 | E 1 0 0 0 exit 0
cap.mft [] fork_daemon: a 1000 | E 1 0 0 0 exit 0" ]
}

@test "--follow-fork: make -j2 runs two programs, each recorded" {
	dir=$BATS_TEST_TMPDIR/make
	mkdir "$dir"
	printf 'all: one two\none:\n\t%s 2\ntwo:\n\t%s 3\n' $PROGS/rec_basic $PROGS/rec_basic >"$dir/Makefile"
	run -0 --separate-stderr $BIN/mf-record --follow-fork -o "$dir/cap.mft" make -s -C "$dir" -j2
	[ "$stderr" = "" ]
	run -0 captures "$dir"
	# make starts them with posix_spawn: each is a new process running rec_basic.
	[ "$output" = "cap.C.mft [fork P] rec_basic 2: a 16 a 12345 a 12345 f f f | E 3 3 0 0 exit 0
cap.C.mft [fork P] rec_basic 3: a 24 a 12345 a 12345 a 12345 f f f f | E 4 4 0 0 exit 0
cap.mft [] make -s -C $dir -j2:$(awk '$1 == "a" { printf " a %s", $4 } $1 == "f" { printf " f" }' "$dir/cap.mft") | E $(awk '$1 == "E" { print $3, $4, $5, $6, $7, $8 }' "$dir/cap.mft")" ]
	grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 0' "$dir/cap.mft"
}

@test "--follow-fork: a shell script's commands, forked and exec'd, are each recorded" {
	dir=$BATS_TEST_TMPDIR/sh
	mkdir "$dir"
	run -4 --separate-stderr $BIN/mf-record --follow-fork -o "$dir/cap.mft.gz" bash -c "$PROGS/rec_basic 1; $PROGS/rec_basic 2; exit 4"
	[ "$stderr" = "" ]
	# The .mft.gz suffix stays last: cap.mft.gz, cap.PID.mft.gz.
	[ "$(ls "$dir" | grep -Evc '^cap(\.[0-9]+)?\.mft\.gz$')" = 0 ]
	[ "$(ls "$dir" | wc -l)" = 3 ]
	# bash forks for each command (a capture of bash's child), which execs
	# rec_basic: that capture goes on with it, each allocation once.
	[ "$(zcat "$dir"/*.gz | grep -c '^a [0-9]* [0-9]* 12345$')" = 3 ]
	for n in 1 2; do
		f=$(zgrep -l "^X [0-9]* .*/rec_basic $n\$" "$dir"/cap.*.mft.gz)
		zcat "$f" | grep -qx "E [0-9]* [0-9]* [0-9]* 0 0 exit 0"
		[ "$(zcat "$f" | sed -n '/^X /,$p' | grep -c '^a ')" = $((n + 1)) ]
	done
	zcat "$dir/cap.mft.gz" | grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 4'
}

@test "without --follow-fork: one line says how many processes ran unrecorded" {
	run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/fork_family
	[ "$stderr" = "mf-record: 3 processes started by the program ran unrecorded: --follow-fork records them" ]
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' "$out")" = "1000 2000 " ]
	run -0 --separate-stderr $BIN/mf-record -o "$out" -f $PROGS/rec_fork
	[ "$stderr" = "mf-record: 1 process started by the program ran unrecorded: --follow-fork records them" ]
	# posix_spawn (make's way) and system count too.
	dir=$BATS_TEST_TMPDIR/make
	mkdir "$dir"
	printf 'all: one two\none:\n\ttrue 1\ntwo:\n\ttrue 2\n' >"$dir/Makefile"
	run -0 --separate-stderr $BIN/mf-record -o "$out" -f make -s -C "$dir" -j2
	[ "$stderr" = "mf-record: 2 processes started by the program ran unrecorded: --follow-fork records them" ]
	# A program that starts none: no line.
	run -0 --separate-stderr $BIN/mf-record -o "$out" -f $PROGS/rec_basic 1
	[ "$stderr" = "" ]
}

@test "--follow-fork needs -o; an existing capture of a process is not overwritten without -f" {
	run -2 --separate-stderr $BIN/mf-record --follow-fork $PROGS/rec_basic 1
	[ "${stderr_lines[0]}" = "mf-record: --follow-fork writes several captures: it needs -o FILE" ]
	run -2 --separate-stderr $BIN/mf-record --follow-fork -o - $PROGS/rec_basic 1
	[ "${stderr_lines[0]}" = "mf-record: --follow-fork writes several captures: it needs -o FILE" ]
}

@test "several captures to the reducers: summed, or one frame per process with --split-processes" {
	dir=$BATS_FILE_TMPDIR/fork_family
	main=$(awk '$1 == "H" { print $4; exit }' "$dir/cap.mft")
	run -0 --separate-stderr $BIN/mf-leaks "$dir/cap.mft" "$dir"/cap.*.mft
	[ "$stderr" = "" ]
	# The first capture's metadata; every process's leaks, each once.
	grep -qx "# pid=$main" <<<"$output"
	grep -qx '# processes=4' <<<"$output"
	grep -qx '# leaked_bytes=4444' <<<"$output"
	grep -qx '# leaked_allocations=3' <<<"$output"
	# The 222 bytes went with the program that exec'd: not a leak.
	[ "$(grep -v '^#' <<<"$output" | awk '{ print $NF }' | sort -n | tr '\n' ' ')" = "111 1000 3333 " ]
	# The peak: each process's own, summed: 3000 + 111 + 3333 (the exec'd program) + 444.
	run -0 --separate-stderr $BIN/mf-peak "$dir/cap.mft" "$dir"/cap.*.mft
	grep -qx '# peak_bytes=6888' <<<"$output"
	grep -qx '# peak_allocations=5' <<<"$output"
	# Every allocation: all summed; temporary ones, within each process.
	run -0 --separate-stderr $BIN/mf-fold "$dir/cap.mft" "$dir"/cap.*.mft
	grep -qx '# processes=4' <<<"$output"
	grep -qx '# shown_bytes=7443' <<<"$output"
	grep -qx '# shown_allocations=7' <<<"$output"
	run -0 --separate-stderr $BIN/mf-fold --temporary=0 "$dir/cap.mft" "$dir"/cap.*.mft
	grep -qx '# shown_bytes=2777' <<<"$output"	# 2000 (the parent), 333, 444
	# One capture alone reads as before: no processes line.
	run -0 --separate-stderr $BIN/mf-leaks "$dir/cap.mft"
	[ "$(grep -c '^# processes=' <<<"$output")" = 0 ]
	grep -qx '# leaked_bytes=1000' <<<"$output"
	# --split-processes: "process PID (NAME)" first; the two programs of one process share it.
	run -0 --separate-stderr $BIN/mf-leaks --split-processes "$dir/cap.mft" "$dir"/cap.*.mft
	grep -qx '# split_processes=true' <<<"$output"
	for f in "$dir"/cap.*.mft; do
		pid=$(awk '$1 == "H" { print $4 }' "$f")
		size=$(awk '$1 == "a" { s = $4 } END { print s }' "$f")
		[ "$size" = 444 ] && continue	# freed: not a leak
		[ "$(grep -v '^#' <<<"$output" | grep -c "^process $pid (fork_family);.* $size\$")" = 1 ]
	done
	[ "$(grep -v '^#' <<<"$output" | grep -c "^process $main (fork_family);.* 1000\$")" = 1 ]
	[ "$(grep -vc '^#' <<<"$output")" = 3 ]
}

@test "mf flamegraph takes the captures of a whole mf run --follow-fork" {
	cd "$BATS_TEST_TMPDIR"
	run -3 --separate-stderr $BIN/mf run --follow-fork -o cap.mft.gz $PROGS/fork_orphan
	[ "$stderr" = "mf: wrote cap.mft.gz and the captures of the processes it started (cap.*.mft.gz); make a report with: mf flamegraph cap.mft.gz cap.*.mft.gz" ]
	[ "$(ls cap.*.mft.gz | wc -l)" = 1 ]
	run -0 --separate-stderr $BIN/mf flamegraph --leaks -o leaks.html cap.mft.gz cap.*.mft.gz
	[ "$stderr" = "mf: wrote leaks.html" ]
	run -0 --separate-stderr $BIN/mf flamegraph --split-processes -o peak.html cap.mft.gz cap.*.mft.gz
	[ "$stderr" = "mf: wrote peak.html" ]
	run -0 --separate-stderr $BIN/mf flamegraph --temporary-allocations -o temp.html cap.mft.gz cap.*.mft.gz
	[ "$stderr" = "mf: wrote temp.html" ]
	[ -s leaks.html ]
	[ -s peak.html ]
	[ -s temp.html ]
	# A capture cut short among them: the report is refused, naming it.
	zcat cap.*.mft.gz | head -n -1 >cut.mft
	run -1 --separate-stderr $BIN/mf-leaks -o out.folded cap.mft.gz cut.mft
	[ "$stderr" = "mf-leaks: cut.mft: incomplete capture: no end record; the output covers only what was recorded" ]
}

# follow_names FILE GLOB CHECK NAMES...: mf run --follow-fork -o FILE of
# fork_family, in a folder of its own, says GLOB for the other captures;
# the files there, process ids written C, are NAMES; CHECK passes on each.
follow_names() {
	local file=$1 glob=$2 check=$3 f
	shift 3
	mkdir "$BATS_TEST_TMPDIR/$file.d"
	cd "$BATS_TEST_TMPDIR/$file.d"
	run -0 --separate-stderr $BIN/mf run --follow-fork -o "$file" $PROGS/fork_family
	[ "$stderr" = "mf: wrote $file and the captures of the processes it started ($glob); make a report with: mf flamegraph $file $glob" ]
	[ "$(ls | sed -E 's/\.[0-9]+(\.|$)/.C\1/' | LC_ALL=C sort | tr '\n' ' ')" = "$* " ]
	# The glob names every capture but the program's (the exec'd child's goes on in its own).
	[ "$(ls $glob | wc -l)" = 3 ]
	for f in *; do
		$check "$f"
		$BIN/mf-leaks "$f" >/dev/null
	done
}

@test "mf run --follow-fork: each process's capture is named from -o, whatever its ending" {
	follow_names cap.mft 'cap.*.mft' 'grep -q ^H' cap.C.mft cap.C.mft cap.C.mft cap.mft
	follow_names cap.mft.gz 'cap.*.mft.gz' 'gzip -t' cap.C.mft.gz cap.C.mft.gz cap.C.mft.gz cap.mft.gz
	follow_names cap.mft.zst 'cap.*.mft.zst' 'zstd -qt' cap.C.mft.zst cap.C.mft.zst cap.C.mft.zst cap.mft.zst
	# No .mft: the process id goes before a compression ending, or at the end.
	follow_names trace 'trace.*' 'grep -q ^H' trace trace.C trace.C trace.C
	follow_names trace.gz 'trace.*.gz' 'gzip -t' trace.C.gz trace.C.gz trace.C.gz trace.gz
}

@test "several captures: the module lines of a two-process recording, one per path, through mf-peak, mf-leaks and mf-fold" {
	dir=$BATS_FILE_TMPDIR/fork_orphan
	[ ! -s "$BATS_FILE_TMPDIR/fork_orphan.err" ]
	[ "$(ls "$dir" | wc -l)" = 2 ]
	# libc's line as the parent's capture alone gives it: the child runs the same frames.
	run -0 --separate-stderr $BIN/mf-fold "$dir/cap.mft"
	libc=$(sed -n 's/^# module=\({"path":"[^"]*\/libc\.so\.6",.*\)$/\1/p' <<<"$output")
	[ "$(wc -l <<<"$libc")" = 1 ]
	[ -n "$libc" ]
	program='{"path":"'$PROGS'/fork_orphan","program":true,"lines":true,"files":["'$ROOT'/tests/progs/fork_orphan.c"]}'
	for reducer in mf-peak mf-leaks mf-fold; do
		run -0 --separate-stderr $BIN/$reducer "$dir/cap.mft" "$dir"/cap.*.mft
		[ "$stderr" = "" ]
		[ "$(sed -n 's/^# module=//p' <<<"$output")" = "$program
$libc" ]
		# Right after the number of processes.
		[ "$(grep -A1 '^# processes=2$' <<<"$output" | tail -1)" = "# module=$program" ]
	done
}

@test "several captures: a module's facts merge by path: program or lines in any capture, files once each, the earlier capture's first" {
	cd "$BATS_TEST_TMPDIR"
	cat >app.mft <<'CAP'
H 1 full 100 1764127800000 10 /src/app
M 1 /src/app
M 2 /lib/libx.so
F 1 1 ? 0 _start
F 2 1 /src/main.c 9 main
F 3 2 ? 0 x_alloc
S 1 0 1
S 2 1 2
S 3 2 3
T 1 100 app
a 1 3 100
E 5 1 0 0 0 exit 0
CAP
	# The program the child exec'd runs app's code (not its program there)
	# and libx twice loaded, now with lines.
	cat >tool.mft <<'CAP'
H 1 full 101 1764127800003 10 /src/tool
# from exec 101
M 1 /src/tool
M 2 /src/app
M 3 /lib/libx.so
M 4 /lib/libx.so
F 1 1 ? 0 _start
F 2 2 /src/util.c 3 app_run
F 3 2 /src/main.c 9 app_step
F 4 3 /src/x.c 7 x_alloc
F 5 4 /src/x2.c 2 x_alloc2
S 1 0 1
S 2 1 2
S 3 2 3
S 4 3 4
S 5 3 5
T 1 101 tool
a 1 4 200
a 1 5 300
E 5 2 0 0 0 exit 0
CAP
	run -0 --separate-stderr $BIN/mf-leaks tool.mft
	[ "$(sed -n 's/^# module=//p' <<<"$output")" = '{"path":"/src/tool","program":true,"lines":false,"files":[]}
{"path":"/src/app","program":false,"lines":true,"files":["/src/util.c","/src/main.c"]}
{"path":"/lib/libx.so","program":false,"lines":true,"files":["/src/x.c","/src/x2.c"]}' ]
	for reducer in mf-peak mf-leaks mf-fold; do
		run -0 --separate-stderr $BIN/$reducer app.mft tool.mft
		[ "$stderr" = "" ]
		[ "$(sed -n 's/^# module=//p' <<<"$output")" = '{"path":"/src/app","program":true,"lines":true,"files":["/src/main.c","/src/util.c"]}
{"path":"/lib/libx.so","program":false,"lines":true,"files":["/src/x.c","/src/x2.c"]}
{"path":"/src/tool","program":true,"lines":false,"files":[]}' ]
	done
}

# The function names of FILE's folded stacks (mf-fold --functions), one line each.
functions_of() {
	$BIN/mf-fold --functions "$1" | grep -v '^#'
}

@test "exec: the exec'd program continues the capture; peak, leaks and stacks exact" {
	dir=$BATS_TEST_TMPDIR/exec
	mkdir "$dir"
	run -0 --separate-stderr $BIN/mf-record --interval 1 -o "$dir/cap.mft" $PROGS/exec_first $PROGS/exec_second 2000
	[ "$stderr" = "" ]
	# One capture: the first program's 1000 bytes are live at the exec,
	# ended by the X record without an f record, and not counted in E.
	run -0 captures "$dir"
	[ "$output" = "cap.mft [] exec_first $PROGS/exec_second 2000: a 1000 a 100 f X a 2000 a 300 f | E 4 2 0 0 exit 0" ]
	grep -qx "X [0-9]* $PROGS/exec_second 2000" "$dir/cap.mft"
	# Thread 1 is the process's first thread in both programs.
	[ "$(awk '$1 == "T" { print $2, $4 }' "$dir/cap.mft" | tr '\n' ' ')" = "1 exec_first 1 exec_second " ]
	# The peak is the second program's: 2300, not 3300.
	run -0 --separate-stderr $BIN/mf-peak -o "$dir/peak" "$dir/cap.mft"
	grep -qx '# peak_bytes=2300' "$dir/peak"
	grep -qx '# peak_allocations=2' "$dir/peak"
	run -0 functions_of "$dir/peak"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;second_leak 2000
_start;__libc_start_main_impl;__libc_start_call_main;main;second_temporary 300" ]
	# Leaks: only what the last program left.
	run -0 --separate-stderr $BIN/mf-leaks -o "$dir/leaks" "$dir/cap.mft"
	grep -qx '# leaked_bytes=2000' "$dir/leaks"
	grep -qx '# leaked_allocations=1' "$dir/leaks"
	grep -qx '# total_frees=2' "$dir/leaks"
	grep -qx "# command=\"$PROGS/exec_first $PROGS/exec_second 2000; exec $PROGS/exec_second 2000\"" "$dir/leaks"
	grep -qx "# argv=\[\"$PROGS/exec_first\",\"$PROGS/exec_second\",\"2000\"\]" "$dir/leaks"
	grep -qx "# exec=\[\"$PROGS/exec_second\",\"2000\"\]" "$dir/leaks"
	run -0 functions_of "$dir/leaks"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;second_leak 2000" ]
	# Every allocation, each program's under its own names.
	run -0 --separate-stderr $BIN/mf-fold -o "$dir/all" "$dir/cap.mft"
	run -0 functions_of "$dir/all"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;first_leak 1000
_start;__libc_start_main_impl;__libc_start_call_main;main;first_temporary 100
_start;__libc_start_main_impl;__libc_start_call_main;main;second_leak 2000
_start;__libc_start_main_impl;__libc_start_call_main;main;second_temporary 300" ]
	# The block the exec ended was freed by no thread: not temporary.
	run -0 --separate-stderr $BIN/mf-fold --temporary=5 -o "$dir/temp" "$dir/cap.mft"
	run -0 functions_of "$dir/temp"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;first_temporary 100
_start;__libc_start_main_impl;__libc_start_call_main;main;second_temporary 300" ]
	# Time slices (of 1 ms): the 1000 bytes live until the X record, then none of them.
	x=$(awk '$1 == "X" { print $2 }' "$dir/cap.mft")
	run -0 --separate-stderr $BIN/mf-temporal "$dir/cap.mft"
	grep -qx '# peak_bytes=2300' <<<"$output"
	grep -qx '# leaked_bytes=2000' <<<"$output"
	peaks=$(sed -n 's/^# slice_peaks=\[\(.*\)\]$/\1/p' <<<"$output" | tr ',' '\n')
	# (slice k is line k + 1; the X record's slice still had them before it)
	[ "$(sed -n "$((x + 1))p" <<<"$peaks")" = 1000 ]
	[ "$(sed -n "$((x + 2)),\$p" <<<"$peaks" | grep -cx 1000)" = 0 ]
	# Each slice's high-water mark is one of the heap's sizes (which appear
	# beside 1100 and 2300 depends on where the 1 ms slices fall).
	[ "$(grep -cvx -e 0 -e 1000 -e 1100 -e 2000 -e 2300 <<<"$peaks")" = 0 ]
	grep -qx 1100 <<<"$peaks"
	grep -qx 2300 <<<"$peaks"
	# Aggregated: the peak and leaks the same, the first program's stacks named as its own.
	run -0 --separate-stderr $BIN/mf-record --aggregate -o "$dir/agg.mft" $PROGS/exec_first $PROGS/exec_second 200
	run -0 --separate-stderr $BIN/mf-peak -o "$dir/agg.peak" "$dir/agg.mft"
	grep -qx '# peak_bytes=1100' "$dir/agg.peak"
	run -0 functions_of "$dir/agg.peak"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;first_leak 1000
_start;__libc_start_main_impl;__libc_start_call_main;main;first_temporary 100" ]
	run -0 --separate-stderr $BIN/mf-leaks -o "$dir/agg.leaks" "$dir/agg.mft"
	run -0 functions_of "$dir/agg.leaks"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;second_leak 200" ]
}

@test "exec: with --follow-fork the same, in the one capture of the process" {
	dir=$BATS_TEST_TMPDIR/exec
	mkdir "$dir"
	run -0 --separate-stderr $BIN/mf-record --follow-fork -o "$dir/cap.mft" $PROGS/exec_first $PROGS/exec_second 2000
	[ "$stderr" = "" ]
	[ "$(ls "$dir")" = cap.mft ]
	run -0 captures "$dir"
	[ "$output" = "cap.mft [] exec_first $PROGS/exec_second 2000: a 1000 a 100 f X a 2000 a 300 f | E 4 2 0 0 exit 0" ]
	run -0 --separate-stderr $BIN/mf-peak "$dir/cap.mft"
	grep -qx '# peak_bytes=2300' <<<"$output"
	run -0 --separate-stderr $BIN/mf-leaks "$dir/cap.mft"
	grep -qx '# leaked_bytes=2000' <<<"$output"
}

@test "exec: a chain of two execs, and a shell that execs" {
	dir=$BATS_TEST_TMPDIR/exec
	mkdir "$dir"
	run -0 --separate-stderr $BIN/mf-record -o "$dir/cap.mft" $PROGS/exec_first $PROGS/exec_second 2000 $PROGS/exec_second 500
	[ "$stderr" = "" ]
	run -0 captures "$dir"
	[ "$output" = "cap.mft [] exec_first $PROGS/exec_second 2000 $PROGS/exec_second 500: a 1000 a 100 f X a 2000 a 300 f X a 500 a 300 f | E 6 3 0 0 exit 0" ]
	run -0 --separate-stderr $BIN/mf-leaks -o "$dir/leaks" "$dir/cap.mft"
	grep -qx '# peak_bytes=2300' "$dir/leaks"
	grep -qx '# leaked_bytes=500' "$dir/leaks"
	[ "$(grep -c '^# exec=' "$dir/leaks")" = 2 ]
	grep -qx "# exec=\[\"$PROGS/exec_second\",\"500\"\]" "$dir/leaks"
	run -0 functions_of "$dir/leaks"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;second_leak 500" ]
	# sh -c 'exec PROGRAM': the shell's own allocations, then the program's.
	run -0 --separate-stderr $BIN/mf-record -o "$dir/sh.mft" sh -c "exec $PROGS/exec_second 700"
	[ "$stderr" = "" ]
	grep -qx "X [0-9]* $PROGS/exec_second 700" "$dir/sh.mft"
	[ "$(sed -n '/^X /,$p' "$dir/sh.mft" | awk '$1 == "a" { printf "%s ", $4 }')" = "700 300 " ]
	run -0 --separate-stderr $BIN/mf-leaks "$dir/sh.mft"
	grep -qx '# leaked_bytes=700' <<<"$output"
}

@test "exec: an exec that fails leaves the program as it was, recorded on" {
	dir=$BATS_TEST_TMPDIR/exec
	mkdir "$dir"
	run -3 --separate-stderr $BIN/mf-record -o "$dir/cap.mft" $PROGS/exec_first "$dir/no-such-program"
	[ "$stderr" = "exec_first: exec failed: No such file or directory" ]
	run -0 captures "$dir"
	[ "$output" = "cap.mft [] exec_first $dir/no-such-program: a 1000 a 100 f a 3000 | E 3 1 0 0 exit 3" ]
	run -0 --separate-stderr $BIN/mf-leaks -o "$dir/leaks" "$dir/cap.mft"
	grep -qx '# leaked_bytes=4000' "$dir/leaks"
	[ "$(grep -c '^# exec=' "$dir/leaks")" = 0 ]
	run -0 functions_of "$dir/leaks"
	[ "$output" = "_start;__libc_start_main_impl;__libc_start_call_main;main;after_failed_exec 3000
_start;__libc_start_main_impl;__libc_start_call_main;main;first_leak 1000" ]
}

@test "exec: every function of the exec family passes the tracker on" {
	run -0 --separate-stderr $BIN/mf-record -o "$out" $PROGS/exec_each
	[ "$stderr" = "" ]
	# execve, execv, execvp, execvpe, execl, execlp, execle, fexecve in turn.
	[ "$(awk '$1 == "a" { printf "%s ", $4 } $1 == "X" { printf "X%s ", $4 }' "$out")" = "1000 X1 1001 X2 1002 X3 1003 X4 1004 X5 1005 X6 1006 X7 1007 X8 1008 " ]
	grep -qx 'E [0-9]* 9 0 0 0 exit 0' "$out"
	run -0 --separate-stderr $BIN/mf-leaks "$out"
	grep -qx '# leaked_bytes=1008' <<<"$output"
	grep -qx '# peak_bytes=1008' <<<"$output"
	[ "$(grep -c '^# exec=' <<<"$output")" = 8 ]
}

# in_pid_namespace COMMAND...: COMMAND as the first process of a new PID
# namespace, killed with all of it after 20 s (unshare ignores SIGTERM).
in_pid_namespace() {
	timeout -s KILL 20 unshare --pid --fork --kill-child --mount-proc "$@"
}

# The name of a child's capture is mf-record's, made from -o's: -f lets
# it replace an old capture there (a regular file), nothing else.  A FIFO
# there blocked the whole recording on opening it; a dangling link
# without -f stopped it.  In a PID namespace the child's id is small, so
# every name it can get is ready beforehand (threads take ids too: which
# one it gets is not known).  A process not recorded makes the exit 1.
@test "--follow-fork: a child's capture path that is a FIFO, or a link, is refused with a warning; the run finishes" {
	dir=$BATS_TEST_TMPDIR/names
	mkdir "$dir"
	cd "$dir"
	for pid in $(seq 3 40); do mkfifo "trace.$pid.mft"; done
	run -1 --separate-stderr in_pid_namespace $BIN/mf-record --follow-fork -f -o trace.mft $PROGS/rec_fork
	[[ "$stderr" =~ ^mf-record:\ \'trace\.([0-9]+)\.mft\' ]]
	child=${BASH_REMATCH[1]}
	[ "$stderr" = "mf-record: 'trace.$child.mft' is not a regular file: process $child is not recorded" ]
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' trace.mft)" = "1111 3333 " ]
	[ "$(find . -type p | wc -l)" = 38 ]
	[ "$(find . ! -type p | sort | tr "\n" " ")" = ". ./trace.mft " ]
	rm trace.*
	for pid in $(seq 3 40); do ln -s "elsewhere.$pid" "trace.$pid.mft"; done
	run -1 --separate-stderr in_pid_namespace $BIN/mf-record --follow-fork -o trace.mft $PROGS/rec_fork
	[[ "$stderr" =~ ^mf-record:\ \'trace\.([0-9]+)\.mft\' ]]
	child=${BASH_REMATCH[1]}
	[ "$stderr" = "mf-record: 'trace.$child.mft' already exists: process $child is not recorded (use -f to overwrite)" ]
	run -1 --separate-stderr in_pid_namespace $BIN/mf-record --follow-fork -f -o trace.mft $PROGS/rec_fork
	[[ "$stderr" =~ ^mf-record:\ \'trace\.([0-9]+)\.mft\' ]]
	child=${BASH_REMATCH[1]}
	[ "$stderr" = "mf-record: 'trace.$child.mft' is not a regular file: process $child is not recorded" ]
	[ "$(find . -type l | wc -l)" = 38 ]
	[ "$(find . ! -type l | sort | tr "\n" " ")" = ". ./trace.mft " ]
}

# A child's capture is named -o's name with ".PID" added, and written
# through a temporary file of 11 bytes more (lib/output.h).  A name that
# fits once the child's id is in it but whose temporary name did not
# stopped the whole recording ("File name too long"), leaving the
# program's capture empty; a name that does not fit at all did the same.
# In a PID namespace the child's id has one or two digits.  The process
# not recorded makes the exit 1.
@test "--follow-fork: a child's capture name that fits is written however long; one too long is refused with a warning" {
	dir=$BATS_TEST_TMPDIR/long
	mkdir "$dir"
	cd "$dir"
	stem=$(printf '%0240d' 0)
	run -0 --separate-stderr in_pid_namespace $BIN/mf-record --follow-fork -o "$stem.mft" $PROGS/rec_fork
	[ "$stderr" = "" ]
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' "$stem.mft")" = "1111 3333 " ]
	child=$(find . -name "$stem.*.mft")
	[[ "$child" =~ ^\./$stem\.[0-9]{1,2}\.mft$ ]]
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' "$child")" = "2222 " ]
	[ "$(ls -A | wc -l)" = 2 ]
	rm ./*
	stem=$(printf '%0250d' 0)
	run -1 --separate-stderr in_pid_namespace $BIN/mf-record --follow-fork -o "$stem.mft" $PROGS/rec_fork
	[[ "$stderr" =~ ^mf-record:\ \'$stem\.([0-9]+)\.mft\' ]]
	child=${BASH_REMATCH[1]}
	[ "$stderr" = "mf-record: '$stem.$child.mft': its name is $((255 + ${#child})) bytes long, more than the 255 its directory takes: process $child is not recorded" ]
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' "$stem.mft")" = "1111 3333 " ]
	[ "$(ls -A)" = "$stem.mft" ]
}

# The child's capture is named by its own copy of the path, kept as long as
# the capture: the launcher used to free it once the file was open, so an
# error at the end named whatever the memory held then.  On that error
# every capture is kept: the parent's is put in place, the child's stays
# under its temporary name, named in the warning, and the file the program
# made at the child's path is left alone.  One file at a time, the
# parent's was often left hidden and the file replaced.  The error ended
# the whole recording (exit 1 at once); now it is the child's alone, said
# in one line, and the exit is 1 at the end.
@test "--follow-fork: a child whose capture name was taken while it ran is named in the error, every capture kept" {
	cd "$BATS_TEST_TMPDIR"
	for run in 1 2 3; do
		rm -f trace.* .trace.*
		run -1 --separate-stderr $BIN/mf-record --follow-fork -o trace.mft sh -c 'sh -c ": > trace.\$\$.mft"; true'
		[[ "$stderr" =~ ^mf-record:\ \'trace\.([0-9]+)\.mft\' ]]
		child=${BASH_REMATCH[1]}
		kept=$(find . -name ".trace.$child.mft.mf-*")
		[ "$stderr" = "mf-record: 'trace.$child.mft' already exists; use -f to overwrite it: process $child is recorded no further; its capture is kept as '${kept#./}'" ]
		[ -f trace.mft ]
		[ -f "trace.$child.mft" ]
		[ ! -s "trace.$child.mft" ]
		[ "$(find . -name ".trace.$child.mft.mf-*" -size +0 | wc -l)" = 1 ]
		# Both whole: the child's capture was written to its end.
		grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 0' trace.mft
		grep -qx 'E [0-9]* [0-9]* [0-9]* 0 0 exit 0' "$kept"
		$BIN/mf-leaks "$kept" >/dev/null
	done
}

# on_small_disk OPTIONS BALLAST COMMAND...: COMMAND in a mount namespace
# of its own, in which ./small is a new tmpfs mounted with OPTIONS (size=,
# nr_inodes=), holding small/ballast of BALLAST bytes unless that is 0: a
# disk that fills, for honest faults.  What small holds at the end is
# copied to ./kept, since the tmpfs goes with the namespace.
on_small_disk() {
	local options=$1 ballast=$2
	shift 2
	mkdir small kept
	unshare --mount bash -c 'mount -t tmpfs -o "$0" mf-small small || exit 99
		[ "$1" = 0 ] || head -c "$1" /dev/zero >small/ballast || exit 98
		shift
		"$@"
		status=$?
		cp -a small/. kept/
		exit $status' "$options" "$ballast" "$@"
}

# A followed child whose capture cannot be created (here: a file system
# with no inode left once the program's capture took one) ended the whole
# recording.  Now the child runs unrecorded, said in one line like a name
# refused, the others are recorded whole, and the exit is 1.
@test "--follow-fork: a child whose capture cannot be created is not recorded, with a warning; the others are whole, the exit 1" {
	cd "$BATS_TEST_TMPDIR"
	run -1 --separate-stderr on_small_disk size=1m,nr_inodes=2 0 $BIN/mf-record --follow-fork -o small/cap.mft $PROGS/rec_fork
	[[ "$stderr" =~ ^mf-record:\ cannot\ create\ \'small/cap\.([0-9]+)\.mft\' ]]
	child=${BASH_REMATCH[1]}
	[ "$stderr" = "mf-record: cannot create 'small/cap.$child.mft': No space left on device: process $child is not recorded" ]
	[ "$(ls -A kept)" = cap.mft ]
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' kept/cap.mft)" = "1111 3333 " ]
	grep -qx 'E [0-9]* 2 2 0 0 exit 0' kept/cap.mft
	$BIN/mf-leaks kept/cap.mft >/dev/null
}

# A followed child whose capture fills the disk ended the whole recording,
# every capture cut where it stood.  Now that capture alone ends, put in
# place as far as written and named in one line; the child runs on
# unrecorded, and the others, the parent's and a child forked after (once
# fork_fill saw the cut capture in place and made room), are recorded whole.
@test "--follow-fork: a child whose capture fills the disk is recorded no further, its capture kept and named; the others are whole, the exit 1" {
	cd "$BATS_TEST_TMPDIR"
	# 64 KiB left of 1 MiB: the child's 100000 allocations need some 2 MB.
	run -1 --separate-stderr on_small_disk size=1m $((1024 * 1024 - 65536)) $BIN/mf-record --follow-fork -o small/cap.mft $PROGS/fork_fill small small/ballast 100000
	[[ "$stderr" =~ ^mf-record:\ cannot\ write\ \'small/cap\.([0-9]+)\.mft\' ]]
	first=${BASH_REMATCH[1]}
	[ "$stderr" = "mf-record: cannot write 'small/cap.$first.mft': No space left on device: process $first is recorded no further; its capture is kept as 'small/cap.$first.mft'" ]
	[ "$(ls -A kept | wc -l)" = 3 ]
	second=$(ls kept | grep -v -e '^cap\.mft$' -e "^cap\.$first\.mft\$")
	second=${second#cap.}
	second=${second%.mft}
	# The cut capture: all the room there was, the child's up to there.
	[ "$(stat -c %s "kept/cap.$first.mft")" = 65536 ]
	[ "$(awk 'NR == 1 { print $1, $4 }' "kept/cap.$first.mft")" = "H $first" ]
	[ "$(grep -c '^a [0-9]* [0-9]* 16$' "kept/cap.$first.mft")" -gt 1000 ]
	[ "$(grep -c '^E ' "kept/cap.$first.mft")" = 0 ]
	run -1 --separate-stderr $BIN/mf-leaks -o leaks "kept/cap.$first.mft"
	[ "$stderr" = "mf-leaks: kept/cap.$first.mft: incomplete capture: no end record; the output covers only what was recorded" ]
	# The others whole: the parent's 1000 and 3000 bytes, the second child's 2222.
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' kept/cap.mft)" = "1000 3000 " ]
	grep -qx 'E [0-9]* 2 1 0 0 exit 0' kept/cap.mft
	[ "$(awk '$1 == "a" { printf "%s ", $4 }' "kept/cap.$second.mft")" = "2222 " ]
	grep -qx "# from fork $(awk '$1 == "H" { print $4 }' kept/cap.mft)" "kept/cap.$second.mft"
	grep -qx 'E [0-9]* 1 0 0 0 exit 0' "kept/cap.$second.mft"
	run -0 --separate-stderr $BIN/mf-leaks kept/cap.mft "kept/cap.$second.mft"
	[ "$stderr" = "" ]
	grep -qx '# leaked_bytes=3222' <<<"$output"
}
