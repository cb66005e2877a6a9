#!/usr/bin/env bats
# Outside oracles: mf's figures of programs nobody here wrote, against
# valgrind's and heaptrack's on the same run input, to the byte.
#
#   sqlite3 (Debian's) on tests/data/oracle.sql: allocations, frees, bytes
#   allocated and in use at exit as memcheck counts them; the peak as
#   massif's (--peak-inaccuracy=0.0).
#   tests/progs/oracle_cxx (C++ containers, over-aligned new, new[]): the
#   same counts as memcheck's, the peak as heaptrack's.
#
# Where the oracles differ from mf by design, the test says how it evens
# them out (docs/ORACLES.md has the measurements and the reasons):
#   - memcheck runs with --run-libc-freeres=no and --run-cxx-freeres=no:
#     otherwise it frees glibc's and libstdc++'s own blocks at exit (the
#     72,704 B exception pool of libstdc++), which a program does not.
#   - massif's peak is the moment the useful heap plus its own per-block
#     overhead (--heap-admin, rounding) is highest, not the useful heap's
#     highest moment: the same moment for sqlite3 on this script (checked
#     here), not for the C++ program (9 bytes less), whose peak is checked
#     against heaptrack's, which counts the useful heap.
#   - heaptrack's preloaded library is C++: it brings libstdc++ and its
#     exception pool into a C program; the C++ program has it already.
#
# Each program is recorded once per file by each tool (valgrind is slow):
# the tests are tagged slow.  A missing tool fails naming its package.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$ROOT"
}

# need COMMAND PACKAGE: COMMAND is on PATH, or fail naming PACKAGE.
need() {
	command -v "$1" >/dev/null && return 0
	echo "no $1 on PATH: install Debian's $2 (TEST_PKGS in the Makefile)" >&2
	return 1
}

# cached NAME COMMAND...: runs COMMAND once per file, its output and
# standard error to $BATS_FILE_TMPDIR/NAME (and NAME.err); later calls
# find the file.  Fails with COMMAND's standard error when it fails.
cached() {
	local out=$BATS_FILE_TMPDIR/$1
	shift
	[ -e "$out" ] && return 0
	if ! "$@" >"$out.part" 2>"$out.err" </dev/null; then
		echo "$* failed:" >&2
		cat "$out.err" >&2
		return 1
	fi
	mv "$out.part" "$out"
}

# The programs, with a fixed HOME (sqlite3 reads ~/.sqliterc).
sqlite_cmd=(sqlite3 -batch :memory: ".read tests/data/oracle.sql")
cxx_cmd() { echo "$PROGS/oracle_cxx"; }

# mf_figures CAPTURE: "allocs=N frees=N bytes=N in_use=B/N peak=B" from
# mf-peak's and mf-leaks' metadata.
mf_figures() {
	local peak leaks
	peak=$("$BIN/mf-peak" "$1") || return 1
	leaks=$("$BIN/mf-leaks" "$1") || return 1
	output=$peak
	printf 'allocs=%s frees=%s bytes=%s ' "$(meta total_allocations)" \
		"$(meta total_frees)" "$(meta total_bytes)"
	local p=$(meta peak_bytes)
	output=$leaks
	printf 'in_use=%s/%s peak=%s\n' "$(meta leaked_bytes)" "$(meta leaked_allocations)" "$p"
}

# memcheck_figures LOG: the same figures but the peak, from memcheck's summary.
memcheck_figures() {
	tr -d , <"$1" | awk '
	/in use at exit:/ { for (i = 1; i <= NF; i++) if ($i == "exit:") { b = $(i + 1); n = $(i + 4) } }
	/total heap usage:/ { for (i = 1; i <= NF; i++) if ($i == "usage:") { a = $(i + 1); f = $(i + 3); t = $(i + 5) } }
	END { if (a != "" && b != "") printf "allocs=%s frees=%s bytes=%s in_use=%s/%s\n", a, f, t, b, n }'
}

# massif_peak FILE: the useful heap (mem_heap_B) of massif's peak snapshot.
massif_peak() {
	awk -F= '/^mem_heap_B=/ { b = $2 } /^heap_tree=peak/ { p = b } END { if (p != "") print p }' "$1"
}

# heaptrack_peak FILE: heaptrack's peak, to the byte (its peak flame graph's sum).
heaptrack_peak() {
	heaptrack_print -f "$1" --flamegraph-cost-type peak -F "$1.peak" >/dev/null &&
		awk '{ s += $NF } END { if (NR) print s }' "$1.peak"
}

valgrind_memcheck() {
	valgrind --tool=memcheck --run-libc-freeres=no --run-cxx-freeres=no \
		--leak-check=full --show-leak-kinds=all --num-callers=50 \
		--log-file="$BATS_FILE_TMPDIR/$1.memcheck" "${@:2}"
}

valgrind_massif() {
	valgrind --tool=massif --peak-inaccuracy=0.0 \
		--massif-out-file="$BATS_FILE_TMPDIR/$1.massif" "${@:2}"
}

# record NAME COMMAND...: COMMAND recorded by mf (NAME.mft), memcheck
# (NAME.memcheck) and massif (NAME.massif), or heaptrack (NAME.heaptrack.zst)
# for TOOLS=heaptrack, once per file; the three at once, as valgrind spends
# most of its time alone on one core.
record() {
	local name=$1 third status=0
	shift
	export HOME=$BATS_FILE_TMPDIR
	need valgrind valgrind || return 1
	case ${TOOLS:-massif} in
	massif) third=(cached "$name.ms.out" valgrind_massif "$name" "$@") ;;
	heaptrack)
		need heaptrack heaptrack || return 1
		third=(cached "$name.ht.out" heaptrack -o "$BATS_FILE_TMPDIR/$name.heaptrack" "$@") ;;
	esac
	cached "$name.mf.out" "$BIN/mf-record" -o "$BATS_FILE_TMPDIR/$name.mft" "$@" &
	local mf=$!
	cached "$name.mc.out" valgrind_memcheck "$name" "$@" &
	local mc=$!
	"${third[@]}" || status=1
	wait "$mf" || status=1
	wait "$mc" || status=1
	return "$status"
}

# same WHAT MF ORACLE: MF and ORACLE are equal, or fail showing both.
same() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then
		return 0
	fi
	printf '%s: mf and the oracle differ:\n  mf:     %s\n  oracle: %s\n' "$1" "$2" "$3" >&2
	return 1
}

# bats test_tags=slow
@test "oracle: sqlite3: allocations, frees, bytes allocated and in use at exit as memcheck's" {
	need sqlite3 sqlite3
	record sqlite "${sqlite_cmd[@]}"
	# sqlite3 ran the script, and printed the same under both.
	diff - "$BATS_FILE_TMPDIR/sqlite.mf.out" <<-EOF
	2000|1000500.0|name-999
	name-19|111
	name-18|111
	name-17|111
	1
	EOF
	diff "$BATS_FILE_TMPDIR/sqlite.mf.out" "$BATS_FILE_TMPDIR/sqlite.mc.out"
	local mf
	mf=$(mf_figures "$BATS_FILE_TMPDIR/sqlite.mft")
	same "sqlite3's counts" "${mf% peak=*}" "$(memcheck_figures "$BATS_FILE_TMPDIR/sqlite.memcheck")"
}

# bats test_tags=slow
@test "oracle: sqlite3: the peak as massif's, to the byte" {
	need sqlite3 sqlite3
	record sqlite "${sqlite_cmd[@]}"
	local mf
	mf=$(mf_figures "$BATS_FILE_TMPDIR/sqlite.mft")
	same "sqlite3's peak" "${mf##* peak=}" "$(massif_peak "$BATS_FILE_TMPDIR/sqlite.massif")"
}

# bats test_tags=slow
@test "oracle: C++ containers: allocations, frees, bytes allocated and in use at exit as memcheck's" {
	TOOLS=heaptrack record cxx "$(cxx_cmd)"
	grep -qx '1000 0 49' "$BATS_FILE_TMPDIR/cxx.mf.out"
	local mf
	mf=$(mf_figures "$BATS_FILE_TMPDIR/cxx.mft")
	same "the C++ program's counts" "${mf% peak=*}" "$(memcheck_figures "$BATS_FILE_TMPDIR/cxx.memcheck")"
}

# bats test_tags=slow
@test "oracle: C++ containers: the peak as heaptrack's, to the byte" {
	TOOLS=heaptrack record cxx "$(cxx_cmd)"
	local mf
	mf=$(mf_figures "$BATS_FILE_TMPDIR/cxx.mft")
	same "the C++ program's peak" "${mf##* peak=}" \
		"$(heaptrack_peak "$BATS_FILE_TMPDIR/cxx.heaptrack.zst")"
}

# file_lines: of frames read one a line, "NAME (PATH:LINE)" or "NAME
# (MODULE)", the base name and line of each that has a line.
file_lines() {
	sed -n 's/.*(\([^()]*\))$/\1/p' | sed -n 's|^.*/||; /:[0-9][0-9]*$/p'
}

# mf_leak_lines CAPTURE BYTES: file:line of each frame of mf-leaks' stack
# of BYTES bytes, from main inwards (memcheck shows nothing below main).
mf_leak_lines() {
	"$BIN/mf-leaks" "$1" | awk -v b="$2" '!/^#/ && $NF == b' | sed 's/ [0-9]*$//' |
		tr ';' '\n' | sed -n '/^main (/,$p' | file_lines
}

# memcheck_leak_lines LOG BYTES: the same of memcheck's loss record of
# BYTES bytes in 1 block, outermost first.
memcheck_leak_lines() {
	sed 's/^==[0-9]*== //' "$1" |
		awk -v b="$2" '{ n = $1; gsub(/,/, "", n) }
		n == b && / bytes in 1 blocks are / { on = 1; next }
		on && !/^ *(at|by) / { on = 0 }
		on' |
		file_lines | tac
}

# bats test_tags=slow
@test "oracle: C++ containers: the leaks' stacks have memcheck's file:line, inlined frames included" {
	TOOLS=heaptrack record cxx "$(cxx_cmd)"
	local cap=$BATS_FILE_TMPDIR/cxx.mft log=$BATS_FILE_TMPDIR/cxx.memcheck
	# The string leaked on purpose: its characters, in the inlined constructor.
	diff <(mf_leak_lines "$cap" 201) - <<-EOF
	oracle_cxx.cc:39
	basic_string.h:659
	EOF
	diff <(mf_leak_lines "$cap" 201) <(memcheck_leak_lines "$log" 201)
	# stdout's buffer, allocated by printf through glibc's inlined calls
	# (libc6-dbg): 10 frames, two functions inlined twice.
	run -0 mf_leak_lines "$cap" 4096
	[ "${#lines[@]}" = 10 ]
	[ "${lines[0]}" = oracle_cxx.cc:37 ]
	[ "${lines[9]}" = filedoalloc.c:101 ]
	diff <(mf_leak_lines "$cap" 4096) <(memcheck_leak_lines "$log" 4096)
}
