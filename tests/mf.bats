#!/usr/bin/env bats
# mf, the front door: usage errors, default names, the flamegraph pipeline
# (its result is exactly what the filters give by hand), refusal to
# overwrite, and no report at all when a stage fails.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	cd "$ROOT"
	MF=$BIN/mf
	W=$BATS_TEST_TMPDIR/w
	mkdir -p "$W"
	gzip -c tests/data/html_capture.mft > "$W/app.mft.gz"
}

# No file is left behind in DIR but the ones named.
only_files() {
	local dir=$1; shift
	[ "$(cd "$dir" && ls -A | sort | tr '\n' ' ')" = "$(printf '%s\n' "$@" | sort | tr '\n' ' ')" ]
}

@test "mf without a command is a usage error" {
	run -2 --separate-stderr "$MF"
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mf: expected a command: run, attach or flamegraph" ]
	[ "${stderr_lines[1]}" = "usage: mf run [mf-record options] PROGRAM [ARGS...]" ]
}

@test "mf: an unknown command is a usage error" {
	run -2 --separate-stderr "$MF" frobnicate x
	[ "${stderr_lines[0]}" = "mf: unknown command 'frobnicate'" ]
}

@test "mf --help lists the commands" {
	run -0 --separate-stderr "$MF" --help
	[ "${lines[0]}" = "usage: mf run [mf-record options] PROGRAM [ARGS...]" ]
	[ "${lines[1]}" = "       mf flamegraph [options] CAPTURE..." ]
	[[ "$output" == *"  run          run PROGRAM under mf-record"* ]]
	[[ "$output" == *"  flamegraph   write an HTML flame graph of a capture"* ]]
	[ "$stderr" = "" ]
}

@test "mf flamegraph --help lists the options" {
	run -0 --separate-stderr "$MF" flamegraph --help
	[ "${lines[0]}" = "usage: mf flamegraph [-o OUTPUT] [-f] [--leaks | --temporary-allocation-threshold N |" ]
	for o in --output --force --leaks --temporary-allocation-threshold --temporary-allocations \
		--split-threads --split-processes --inverted --max-memory-records --temporal; do
		[[ "$output" == *"$o"* ]]
	done
}

@test "mf run --help lists mf-record's options" {
	run -0 --separate-stderr "$MF" run --help
	[ "${lines[0]}" = "usage: mf run [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]" ]
}

@test "mf flamegraph: usage errors exit 2" {
	run -2 --separate-stderr "$MF" flamegraph
	[ "${stderr_lines[0]}" = "mf: expected a CAPTURE" ]
	run -2 --separate-stderr "$MF" flamegraph --temporal a b
	[ "${stderr_lines[0]}" = "mf: --temporal takes one capture, not one per process" ]
	run -2 --separate-stderr "$MF" flamegraph --split-processes a
	[ "${stderr_lines[0]}" = "mf: --split-processes needs the captures of several processes" ]
	run -2 --separate-stderr "$MF" flamegraph --bogus "$W/app.mft.gz"
	[ "${stderr_lines[0]}" = "mf: unknown option '--bogus'" ]
	run -2 --separate-stderr "$MF" flamegraph "$W/app.mft.gz" -o
	[ "${stderr_lines[0]}" = "mf: option '-o' needs an argument" ]
	run -2 --separate-stderr "$MF" flamegraph --leaks --temporary-allocations "$W/app.mft.gz"
	[ "${stderr_lines[0]}" = "mf: --leaks and --temporary-allocations cannot be combined" ]
	run -2 --separate-stderr "$MF" flamegraph --temporal --temporary-allocations "$W/app.mft.gz"
	[ "${stderr_lines[0]}" = "mf: --temporal cannot show temporary allocations" ]
	run -2 --separate-stderr "$MF" flamegraph - 
	[ "${stderr_lines[0]}" = "mf: a capture on standard input needs -o OUTPUT" ]
	run -2 --separate-stderr "$MF" flamegraph --temporary-allocation-threshold x "$W/app.mft.gz"
	[ "${stderr_lines[1]}" = "usage: mf flamegraph [-o OUTPUT] [-f] [--leaks | --temporary-allocation-threshold N |" ]
	only_files "$W" app.mft.gz
}

@test "mf flamegraph writes mf-flamegraph-CAPTURE.html: mf-peak | mf-html" {
	cd "$W"
	run -0 --separate-stderr "$MF" flamegraph app.mft.gz
	[ "$output" = "" ]
	[ "$stderr" = "mf: wrote mf-flamegraph-app.mft.html" ]
	"$BIN/mf-peak" app.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html mf-flamegraph-app.mft.html
	[ "$(stat -c %a mf-flamegraph-app.mft.html)" = "$(umask -S >/dev/null; printf '%o' $((0666 & ~$(umask))))" ]
	only_files . app.mft.gz expected.html mf-flamegraph-app.mft.html
}

@test "mf flamegraph refuses to overwrite without -f" {
	cd "$W"
	echo keep > mf-flamegraph-app.mft.html
	run -1 --separate-stderr "$MF" flamegraph app.mft.gz
	[ "$stderr" = "mf: 'mf-flamegraph-app.mft.html' already exists; use -f to overwrite it" ]
	[ "$(cat mf-flamegraph-app.mft.html)" = keep ]
	run -0 --separate-stderr "$MF" flamegraph -f app.mft.gz
	grep -q '^<!DOCTYPE html>$' mf-flamegraph-app.mft.html
	only_files . app.mft.gz mf-flamegraph-app.mft.html
}

@test "mf flamegraph --leaks --inverted --split-threads: mf-leaks | mf-invert | mf-html" {
	cd "$W"
	run -0 --separate-stderr "$MF" flamegraph --leaks --inverted --split-threads -o out.html app.mft.gz
	[ "$stderr" = "mf: wrote out.html" ]
	"$BIN/mf-leaks" --split-threads app.mft.gz | "$BIN/mf-invert" | "$BIN/mf-html" > expected.html
	cmp expected.html out.html
	grep -q '\["inverted","true"\]' out.html
	grep -q '\["reducer","\\"leaks\\""\]' out.html
}

@test "mf flamegraph --temporary-allocations: mf-fold --temporary=1 | mf-html" {
	cd "$W"
	run -0 --separate-stderr "$MF" flamegraph --temporary-allocations -o t1.html app.mft.gz
	"$BIN/mf-fold" --temporary=1 app.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html t1.html
	run -0 --separate-stderr "$MF" flamegraph --temporary-allocation-threshold 0 -o t0.html app.mft.gz
	"$BIN/mf-fold" --temporary=0 app.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html t0.html
}

@test "mf flamegraph --max-memory-records goes to mf-peak" {
	cd "$W"
	run -0 --separate-stderr "$MF" flamegraph --max-memory-records 1 -o m.html app.mft.gz
	"$BIN/mf-peak" --max-memory-records 1 app.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html m.html
}

@test "mf flamegraph: a missing capture fails with the stage's message and writes nothing" {
	cd "$W"
	run -1 --separate-stderr "$MF" flamegraph nope.mft
	[ "$stderr" = "mf-peak: cannot open 'nope.mft': No such file or directory" ]
	only_files . app.mft.gz
}

@test "mf flamegraph: a bad capture is one line, the reducer's, whichever reducer reads it" {
	cd "$W"
	printf 'garbage\n' > bad.mft
	local expected="bad.mft:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream"
	run -1 --separate-stderr "$MF" flamegraph bad.mft
	[ "$stderr" = "mf-peak: $expected" ]
	run -1 --separate-stderr "$MF" flamegraph --leaks --inverted bad.mft
	[ "$stderr" = "mf-leaks: $expected" ]
	run -1 --separate-stderr "$MF" flamegraph --temporary-allocations bad.mft
	[ "$stderr" = "mf-fold: $expected" ]
	run -1 --separate-stderr "$MF" flamegraph --temporal bad.mft
	[ "$stderr" = "mf-temporal: $expected" ]
	head -c 100 app.mft.gz > cut.mft.gz
	run -1 --separate-stderr "$MF" flamegraph cut.mft.gz
	[ "$stderr" = "mf-peak: cut.mft.gz:$(gzip_cut_line cut.mft.gz): truncated or corrupt gzip input: unexpected end of file" ]
	only_files . app.mft.gz bad.mft cut.mft.gz
}

# A bin directory with mf and the real filters, but the stage NAME
# replaced by a shell script running CODE.
fake_stage() {
	mkdir -p "$W/bin"
	cp "$BIN"/mf "$BIN"/mf-peak "$BIN"/mf-html "$W/bin/"
	printf '#!/bin/sh\n%s\n' "$2" > "$W/bin/$1"
	chmod +x "$W/bin/$1"
}

@test "mf flamegraph: a stage that fails says so itself; one that fails silently is named" {
	fake_stage mf-html 'cat >/dev/null; echo "mf-html: cannot draw" >&2; exit 1'
	run -1 --separate-stderr "$W/bin/mf" flamegraph -o "$W/r.html" "$W/app.mft.gz"
	[ "$stderr" = "mf-html: cannot draw" ]
	fake_stage mf-html 'cat >/dev/null; exit 3'
	run -1 --separate-stderr "$W/bin/mf" flamegraph -o "$W/r.html" "$W/app.mft.gz"
	[ "$stderr" = "mf: mf-html failed (exit status 3); no report written" ]
	only_files "$W" app.mft.gz bin
}

@test "mf flamegraph: a stage killed by a signal is named, after what it said" {
	fake_stage mf-peak 'echo "mf-peak: about to crash" >&2; kill -SEGV $$'
	run -1 --separate-stderr "$W/bin/mf" flamegraph -o "$W/r.html" "$W/app.mft.gz"
	[ "${stderr_lines[0]}" = "mf-peak: about to crash" ]
	[ "${stderr_lines[1]}" = "mf: mf-peak was killed by signal 11 (Segmentation fault); no report written" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	only_files "$W" app.mft.gz bin
}

@test "mf flamegraph: a stage's warnings are shown when every stage succeeds" {
	fake_stage mf-peak 'echo "mf-peak: a warning" >&2; exec '"'$BIN/mf-peak'"' "$@"'
	run -0 --separate-stderr "$W/bin/mf" flamegraph -o "$W/r.html" "$W/app.mft.gz"
	[ "${stderr_lines[0]}" = "mf-peak: a warning" ]
	[ "${stderr_lines[1]}" = "mf: wrote $W/r.html" ]
}

@test "mf flamegraph: an incomplete capture fails even though mf-html succeeded" {
	cp "$ROOT/tests/data/html_truncated.mft" "$W/cut.mft"
	cd "$W"
	run -1 --separate-stderr "$MF" flamegraph -o cut.html cut.mft
	[ "$stderr" = "mf-peak: cut.mft: incomplete capture: no end record; the output covers only what was recorded" ]
	only_files . app.mft.gz cut.mft
}

@test "mf flamegraph --temporal without mf-temporal is a clear error" {
	mkdir "$W/bin"
	cp "$BIN/mf" "$BIN/mf-peak" "$BIN/mf-html" "$W/bin/"
	run -1 --separate-stderr "$W/bin/mf" flamegraph --temporal -o "$W/t.html" "$W/app.mft.gz"
	[ "$stderr" = "mf: --temporal needs mf-temporal, which is not installed beside mf in '$W/bin'" ]
	run -1 --separate-stderr "$W/bin/mf" flamegraph --leaks -o "$W/t.html" "$W/app.mft.gz"
	[ "$stderr" = "mf: cannot find '$W/bin/mf-leaks': mf runs the mf-* programs installed beside it" ]
	only_files "$W" app.mft.gz bin
}

@test "mf flamegraph --temporal runs mf-temporal | mf-html" {
	cd "$W"
	run -0 --separate-stderr "$MF" flamegraph --temporal --leaks -o t.html app.mft.gz
	"$BIN/mf-temporal" --leaks app.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html t.html
}

@test "mf run: usage errors exit 2" {
	run -2 --separate-stderr "$MF" run
	[ "${stderr_lines[0]}" = "mf: expected a PROGRAM to run" ]
	[ "${stderr_lines[1]}" = "usage: mf run [-f] [-o FILE] [--interval MS] [--aggregate] [--follow-fork] [--] PROGRAM [ARGS...]" ]
	run -2 --separate-stderr "$MF" run --bogus /bin/true
	[ "${stderr_lines[0]}" = "mf: unknown option '--bogus'" ]
}

@test "mf run writes mf-PROGRAM.PID.mft.zst and says where" {
	cd "$W"
	# PID is mf's own: the shell that writes its $$ becomes mf.
	run -0 --separate-stderr bash -c 'echo $$ >"$1"; exec "$2" run /bin/true' bash "$BATS_TEST_TMPDIR/pid" "$MF"
	[[ "$stderr" =~ ^mf:\ wrote\ (mf-true\.[0-9]+\.mft\.zst)\;\ make\ a\ report\ with:\ mf\ flamegraph\ (mf-true\.[0-9]+\.mft\.zst)$ ]]
	f=${BASH_REMATCH[1]}
	[ "${BASH_REMATCH[2]}" = "$f" ]
	[ "$f" = "mf-true.$(cat "$BATS_TEST_TMPDIR/pid").mft.zst" ]
	zstdcat "$f" | grep -q '^E '
}

@test "mf run -o: PROGRAM's own options are left alone and its status comes back" {
	cd "$W"
	run -3 --separate-stderr "$MF" run -o sh.mft --interval 5 /bin/sh -c 'exit 3' -o x
	[ "$stderr" = "mf: wrote sh.mft; make a report with: mf flamegraph sh.mft" ]
	head -1 sh.mft | grep -q "^H 2 full [0-9]* [0-9]* 5 /bin/sh -c exit\\\\x203 -o x$"
}

@test "mf run: no 'wrote' when mf-record refused: an existing file, a missing program, a bad option" {
	cd "$W"
	echo precious > cap
	run -1 --separate-stderr "$MF" run -o cap /bin/true
	[ "$stderr" = "mf-record: 'cap' already exists; use -f to overwrite it" ]
	[ "$(cat cap)" = precious ]
	run -1 --separate-stderr "$MF" run -f -o cap /no/such/program
	[ "$stderr" = "mf-record: cannot run '/no/such/program': No such file or directory" ]
	[ "$(cat cap)" = precious ]
	run -2 --separate-stderr "$MF" run -f -o cap --interval 0 /bin/true
	[ "${stderr_lines[0]}" = "mf-record: --interval takes a whole number from 1 to 3600000, not '0'" ]
	[ "${#stderr_lines[@]}" = 3 ]
	[ "$(cat cap)" = precious ]
	run -0 --separate-stderr "$MF" run -f -o cap /bin/true
	[ "$stderr" = "mf: wrote cap; make a report with: mf flamegraph cap" ]
	only_files . app.mft.gz cap
}

@test "mf run -o -: the capture goes to standard output, no 'wrote'" {
	cd "$W"
	run -0 --separate-stderr "$MF" run -o - /bin/true
	[ "${lines[0]:0:9}" = "H 2 full " ]
	[ "$stderr" = "" ]
	only_files . app.mft.gz
}

@test "mf flamegraph -o -: the report goes to standard output, no 'wrote'" {
	cd "$W"
	run -0 --separate-stderr "$MF" flamegraph -o - app.mft.gz
	"$BIN/mf-peak" app.mft.gz | "$BIN/mf-html" > expected.html
	[ "$output" = "$(cat expected.html)" ]
	[ "$stderr" = "" ]
	only_files . app.mft.gz expected.html
}

@test "mf: an unknown short option in a group is named alone" {
	run -2 --separate-stderr "$MF" flamegraph -fx "$W/app.mft.gz"
	[ "${stderr_lines[0]}" = "mf: unknown option '-x'" ]
	run -2 --separate-stderr "$MF" run -fx /bin/true
	[ "${stderr_lines[0]}" = "mf: unknown option '-x'" ]
}

# pid_gone PID: PID has ended (or is a zombie), within ten seconds.
pid_gone() {
	for _ in $(seq 100); do
		[ -e "/proc/$1" ] || return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.1
	done
	return 1
}

@test "mf flamegraph killed by SIGTERM stops its stages and leaves no temporary file" {
	cd "$W"
	mkfifo capture
	"$MF" flamegraph -o out.html capture 2> err &
	mf=$!
	# The stages wait for the capture; the temporary report exists.
	while [ "$(pgrep -P "$mf" | wc -l)" -lt 2 ]; do sleep 0.05; done
	stages=$(pgrep -P "$mf")
	[ -n "$(find . -name '.out.html.mf-*')" ]
	kill -TERM "$mf"
	status=0
	wait "$mf" || status=$?	# not through run: its subshell cannot wait for mf
	[ "$status" = 143 ]
	for pid in $stages; do pid_gone "$pid"; done
	only_files . app.mft.gz capture err
	[ "$(cat err)" = "" ]
}

@test "mf run passes SIGTERM on to mf-record, which finishes the capture" {
	cd "$W"
	"$MF" run -o sleep.mft /bin/sleep 60 2> err &
	mf=$!
	while ! pgrep -x sleep -P "$(pgrep -P "$mf" || echo 0)" > /dev/null; do sleep 0.05; done
	kill -TERM "$mf"
	status=0
	wait "$mf" || status=$?	# not through run: its subshell cannot wait for mf
	[ "$status" = 143 ]
	[ "$(cat err)" = "mf: wrote sleep.mft; make a report with: mf flamegraph sleep.mft" ]
	[ "$(tail -1 sleep.mft | cut -d' ' -f1,7,8)" = "E signal 15" ]
}

@test "mf run --help says how --follow-fork names each process's capture" {
	run -0 --separate-stderr "$MF" run --help
	[ "$stderr" = "" ]
	[[ "$output" == *"
With --follow-fork, each process gets its own capture: PROGRAM's is FILE,
another process's is FILE with .PID (its process id) inserted before a
final .mft, .gz or .zst, or added at the end of any other name; a process
that execs goes on in its capture as a new program:
  -o make.mft.zst   make.mft.zst, make.4243.mft.zst, make.4244.mft.zst
When done, mf run names them all with one pattern, make.*.mft.zst, to give
to mf flamegraph.
"* ]]
}

@test "mf flamegraph names the report from CAPTURE's base name without .gz or .zst" {
	cd "$W"
	mkdir in
	"$BIN/mf-peak" app.mft.gz | "$BIN/mf-html" > expected.html
	cp "$ROOT/tests/data/html_capture.mft" in/app.mft
	cp "$ROOT/tests/data/html_capture.mft" in/trace
	zstd -q "$ROOT/tests/data/html_capture.mft" -o in/app.mft.zst
	gzip -c "$ROOT/tests/data/html_capture.mft" > in/trace.gz
	zstd -q "$ROOT/tests/data/html_capture.mft" -o in/trace.zst
	for pair in app.mft.gz:app.mft in/app.mft:app.mft in/app.mft.zst:app.mft \
		in/trace:trace in/trace.gz:trace in/trace.zst:trace; do
		capture=${pair%:*} report=mf-flamegraph-${pair#*:}.html
		run -0 --separate-stderr "$MF" flamegraph -f "$capture"
		[ "$stderr" = "mf: wrote $report" ]
		cmp expected.html "$report"
	done
	only_files . app.mft.gz in expected.html mf-flamegraph-app.mft.html mf-flamegraph-trace.html
}

@test "mf: a default name too long for a path is an error, and nothing runs" {
	cd "$W"
	long=$(printf 'a%.0s' {1..4100})
	run -1 --separate-stderr "$MF" run "/no/such/$long"
	[ "$stderr" = "mf: cannot name the capture of '$long': the name is too long" ]
	run -1 --separate-stderr "$MF" flamegraph "/no/such/$long.mft.gz"
	[ "$stderr" = "mf: cannot name the report of '/no/such/$long.mft.gz': the name is too long" ]
	only_files . app.mft.gz
}
