#!/usr/bin/env bats
# Hostile input for every filter: each bad input gets exactly one line
# "PROG: FILE:LINE: what was expected" (or "PROG: cannot open ...") on
# stderr, exit 1, and nothing on stdout that could pass for a result.
#
# The cases are the table below, one line per case:
#
#   INPUT | FILTERS | STATUS | STDERR
#
# INPUT is a file made by make_inputs (run in its directory), optionally
# with options before it; "stdout>/dev/full" in front sends standard output
# to /dev/full and "as-nobody" runs the filter as user nobody.  FILTERS is
# "events" (the readers of event streams), "folded" (the readers of folded
# stacks), both ("events folded") or program names.  In STDERR, %P stands
# for the filter and %L for the line where the gzip stream INPUT is cut
# (gzip_cut_line: it depends on the compressor's exact bytes).  A row of
# "events folded" whose INPUT has %X is two cases: %X is "mft" for the
# readers of event streams, "folded" for those of folded stacks.

bats_require_minimum_version 1.5.0
load helpers

EVENT_FILTERS="mf-peak mf-leaks mf-temporal mf-fold"
FOLDED_FILTERS="mf-html mf-invert mf-fold"

CASES=$(cat <<'EOF'
empty           | events | 1 | %P: empty: empty input: expected an mf event stream (docs/FORMAT.md)
cut.%X.gz       | events folded | 1 | %P: cut.%X.gz:%L: truncated or corrupt gzip input: unexpected end of file
nul.%X          | events folded | 1 | %P: nul.%X:2: binary data (a NUL byte) where a text line was expected
garbage.mft     | mf-peak mf-leaks mf-temporal | 1 | %P: garbage.mft:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream
garbage.mft     | mf-fold | 1 | %P: garbage.mft:1: expected a whole number of at most 20 digits after the stack, found 'garbage'
overflow.mft    | events | 1 | %P: overflow.mft:5: expected SIZE as a whole number of at most 20 digits, found '18446744073709551616'
heapsum.mft     | mf-peak mf-leaks mf-fold | 1 | %P: heapsum.mft:6: total heap size overflows 64 bits
heapsum.mft     | mf-temporal | 1 | %P: heapsum.mft:5: allocations add up to more than 2^63 - 1 bytes, more than the temporal report can count
negative.mft    | events | 1 | %P: negative.mft:5: expected SIZE as a whole number of at most 20 digits, found '-5'
unknown.mft     | events | 1 | %P: unknown.mft:3: unknown record type 'Z' (expected one of H M F S T t m a f P L K X E)
version.mft     | events | 1 | %P: version.mft:1: unsupported event stream version 3 (this reader knows versions 1 and 2)
undefined.mft   | events | 1 | %P: undefined.mft:5: undefined stack 7
nothread.mft    | events | 1 | %P: nothread.mft:5: undefined thread 9
nomodule.mft    | events | 1 | %P: nomodule.mft:2: undefined module 4
noframe.mft     | events | 1 | %P: noframe.mft:2: undefined frame 3
noparent.mft    | events | 1 | %P: noparent.mft:3: undefined stack 5
hugemodule.mft  | events | 1 | %P: hugemodule.mft:3: undefined module 18446744073709551615
hugeparent.mft  | events | 1 | %P: hugeparent.mft:5: undefined stack 18446744073709551615
dupmodule.mft   | events | 1 | %P: dupmodule.mft:3: module 1 defined twice
dupframe.mft    | events | 1 | %P: dupframe.mft:4: frame 1 defined twice
dupstack.mft    | events | 1 | %P: dupstack.mft:5: stack 1 defined twice
unknownfree.mft | events | 1 | %P: unknownfree.mft:6: free of allocation 1 back, but only 1 were made
doublefree.mft  | events | 1 | %P: doublefree.mft:7: free of allocation 1, which is not live (freed twice?)
aheadfree.mft   | events | 1 | %P: aheadfree.mft:6: free of allocation +2 from allocation 0, but allocations run from 1 to 1
behindfree.mft  | events | 1 | %P: behindfree.mft:7: free of allocation -1 from allocation 1, but allocations run from 1 to 2
signedfree.mft  | events | 1 | %P: signedfree.mft:6: expected the distance after + or - as a whole number of at most 20 digits, found '1x'
agga.mft        | mf-peak mf-leaks | 1 | %P: agga.mft:5: 'a' record in an aggregated capture (KIND 'aggregate' has P, L and K instead)
agga.mft        | mf-fold | 1 | %P: agga.mft: all allocations need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate
agga.mft        | mf-temporal | 1 | %P: agga.mft: temporal reports need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate
fullp.mft       | events | 1 | %P: fullp.mft:5: 'P' record in a full capture (only KIND 'aggregate' has it)
backwards.mft   | events | 1 | %P: backwards.mft:4: time goes backwards: 5 ms after 9 ms
afterend.mft    | events | 1 | %P: afterend.mft:4: record after the end record (E)
ctlrecord.mft   | events | 1 | %P: ctlrecord.mft:2: expected a one-character record type followed by a space, found '\x1b]0;owned\x07'
ctltype.mft     | events | 1 | %P: ctltype.mft:2: unknown record type '\x1b' (expected one of H M F S T t m a f P L K X E)
ctlkind.mft     | events | 1 | %P: ctlkind.mft:1: expected KIND 'full' or 'aggregate', found '\x1b[2J\xc2\x9b2J\xff\xc3'
ctlsize.mft     | events | 1 | %P: ctlsize.mft:5: expected SIZE as a whole number of at most 20 digits, found '5\x1b[31mé\x7f'
ctlvalue.folded | folded | 1 | %P: ctlvalue.folded:2: expected a whole number of at most 20 digits after the stack, found '5\x1b]0;x\x07'
ctlcount.folded | folded | 1 | %P: ctlcount.folded:2: expected '# count=N' with a whole number N, found '\x1b[31m'
missing.%X      | events folded | 1 | %P: cannot open 'missing.%X': No such file or directory
as-nobody locked.%X | events folded | 1 | %P: cannot open 'locked.%X': Permission denied
adir            | events folded | 1 | %P: adir:1: cannot read: Is a directory
longline.%X.gz  | events folded | 1 | %P: longline.%X.gz:2: line longer than 64 MiB
stdout>/dev/full ok.%X | events folded | 1 | %P: cannot write 'standard output': No space left on device
-f -o /dev/full ok.%X | events folded | 1 | %P: cannot write '/dev/full': No space left on device
empty           | mf-html mf-invert | 1 | %P: empty: empty input: expected folded stacks (docs/FORMAT.md)
overflow.folded | folded | 1 | %P: overflow.folded:2: expected a whole number of at most 20 digits after the stack, found '18446744073709551616'
sum.folded      | mf-invert | 1 | %P: sum.folded:4: the total of a stack overflows 64 bits
sum.folded      | mf-fold mf-html | 1 | %P: sum.folded:3: the total of all stacks overflows 64 bits
negative.folded | folded | 1 | %P: negative.folded:2: expected a whole number of at most 20 digits after the stack, found '-5'
novalue.folded  | folded | 1 | %P: novalue.folded:2: expected 'FRAME;FRAME;... VALUE', found no value
badcount.folded | folded | 1 | %P: badcount.folded:2: expected '# count=N' with a whole number N, found 'x'
EOF
)

setup_file() {
	IN=$BATS_FILE_TMPDIR/in
	mkdir -p "$IN"
	chmod 755 "$BATS_FILE_TMPDIR" "$IN"
	(cd "$IN" && make_inputs)
	export IN
}

setup() {
	cd "$IN"
}

# A small valid capture; lines 1-4 are the head other inputs start from.
HEAD='H 1 full 1 0 10 x
T 1 1 main
F 1 0 ? 0 f
S 1 0 1'

make_inputs() {
	printf '%s\na 1 1 5\nf 1 0\nE 1 1 1 0 0 exit 0\n' "$HEAD" >ok.mft
	printf '# format="mf-folded/1"\n# count=1\nmain;f 5\n' >ok.folded
	: >empty
	# The gzip streams are cut in the middle: zlib sees the end too soon.
	for i in $(seq 1000); do echo "a 1 1 $i"; done | (printf '%s\n' "$HEAD"; cat) |
		gzip -9n | head -c 300 >cut.mft.gz
	for i in $(seq 1000); do echo "main;f$i $i"; done | (echo '# format="mf-folded/1"'; cat) |
		gzip -9n | head -c 300 >cut.folded.gz
	printf 'H 1 full 1 0 10 x\nT 1 1 ma\0in\n' >nul.mft
	printf '# format="mf-folded/1"\nmain;\0f 5\n' >nul.folded
	printf '\xff\xfe\x80 garbage\n\x02\n' >garbage.mft
	printf '%s\na 1 1 18446744073709551616\n' "$HEAD" >overflow.mft
	printf '%s\na 1 1 18446744073709551615\na 1 1 1\n' "$HEAD" >heapsum.mft
	printf '%s\na 1 1 -5\n' "$HEAD" >negative.mft
	printf 'H 1 full 1 0 10 x\nT 1 1 main\nZ 1 2\n' >unknown.mft
	printf 'H 3 full 1 0 10 x\n' >version.mft
	printf '%s\na 1 7 5\n' "$HEAD" >undefined.mft
	printf '%s\na 1 1 5\n' "${HEAD/full/aggregate}" >agga.mft
	printf '%s\nP 1 1 1 5\n' "$HEAD" >fullp.mft
	printf '%s\na 9 1 5\n' "$HEAD" >nothread.mft
	printf 'H 1 full 1 0 10 x\nF 1 4 ? 0 f\n' >nomodule.mft
	printf 'H 1 full 1 0 10 x\nS 1 0 3\n' >noframe.mft
	printf 'H 1 full 1 0 10 x\nF 1 0 ? 0 f\nS 2 5 1\n' >noparent.mft
	printf 'H 1 full 1 0 10 x\nM 1 /a\nM 1 /b\n' >dupmodule.mft
	# 2^64 - 1 is the hash tables' reserved key: it once matched an empty slot.
	printf 'H 1 full 1 0 10 x\nM 1 /a\nF 1 18446744073709551615 ? 0 f\n' >hugemodule.mft
	printf '%s\nS 2 18446744073709551615 1\n' "$HEAD" >hugeparent.mft
	printf 'H 1 full 1 0 10 x\nT 1 1 main\nF 1 0 ? 0 f\nF 1 0 ? 0 g\n' >dupframe.mft
	printf '%s\nS 1 0 1\n' "$HEAD" >dupstack.mft
	printf '%s\na 1 1 5\nf 1 1\n' "$HEAD" >unknownfree.mft
	printf '%s\na 1 1 5\nf 1 0\nf 1 0\n' "$HEAD" >doublefree.mft
	printf '%s\na 1 1 5\nf 1 +2\n' "$HEAD" >aheadfree.mft
	printf '%s\na 1 1 5\nf 1 0\na 1 1 5\nf 1 -1\n' "$HEAD" >behindfree.mft
	printf '%s\na 1 1 5\nf 1 +1x\n' "$HEAD" >signedfree.mft
	printf 'H 1 full 1 0 10 x\nt 9\nT 1 1 main\nt 5\n' >backwards.mft
	printf 'H 1 full 1 0 10 x\nT 1 1 main\nE 1 0 0 0 0 exit 0\nt 5\n' >afterend.mft
	printf '# format="mf-folded/1"\nmain;f 18446744073709551616\n' >overflow.folded
	printf '# format="mf-folded/1"\nmain;f 18446744073709551615\nmain;g 1\nmain;f 1\n' >sum.folded
	printf '# format="mf-folded/1"\nmain;f -5\n' >negative.folded
	printf '# format="mf-folded/1"\nmain;f\n' >novalue.folded
	printf '# format="mf-folded/1"\n# count=x\nmain;f 5\n' >badcount.folded
	# Line 2 is one byte past the 64 MiB limit (docs/FORMAT.md).
	longline 'H 1 full 1 0 10 x\n' $((64 << 20)) >longline.mft.gz
	longline '# format="mf-folded/1"\n' $((64 << 20)) >longline.folded.gz
	# Control bytes, a C1 control (U+009B, CSI), bytes that are not UTF-8.
	printf 'H 1 full 1 0 10 x\n\033]0;owned\a\n' >ctlrecord.mft
	printf 'H 1 full 1 0 10 x\n\033 1\n' >ctltype.mft
	printf 'H 1 \033[2J\302\2332J\377\303 1 0 10 x\n' >ctlkind.mft
	printf '%s\na 1 1 5\033[31m\303\251\177\n' "$HEAD" >ctlsize.mft
	printf '# format="mf-folded/1"\nmain;f 5\033]0;x\a\n' >ctlvalue.folded
	printf '# format="mf-folded/1"\n# count=\033[31m\nmain;f 5\n' >ctlcount.folded
	cp ok.mft locked.mft
	cp ok.folded locked.folded
	chmod 000 locked.mft locked.folded
	mkdir adir
}

# longline FIRST N: gzip of the line FIRST, then a line of N + 1 letters 'a'.
longline() {
	python3 -c 'import sys, zlib
z = zlib.compressobj(1, zlib.DEFLATED, 31)
out = sys.stdout.buffer
out.write(z.compress(sys.argv[1].encode().decode("unicode_escape").encode()))
block, n = b"a" * (1 << 20), int(sys.argv[2]) + 1
while n:
    k = min(n, len(block))
    out.write(z.compress(block[:k]))
    n -= k
out.write(z.compress(b"\n") + z.flush())' "$1" "$2"
}

# The rows of the table, each row of INPUT %X made two (see the top).
cases() {
	local row
	while IFS= read -r row; do
		if [[ $row == *%X* ]]; then
			row=${row/| events folded |/| events |}
			echo "${row//%X/mft}"
			row=${row/| events |/| folded |}
			echo "${row//%X/folded}"
		else
			echo "$row"
		fi
	done <<<"$CASES"
}

# squeeze NAME...: each variable NAME's words joined by single spaces, as
# $(echo $NAME) has them, without a process each: every test walks the
# whole table.
squeeze() {
	local -n var
	local -a words
	local IFS=$' \t\n'
	for var; do
		read -ra words <<<"$var"
		var="${words[*]}"
	done
}

# Run every row of the table whose INPUT matches $1 (a regular expression
# on the whole field) for each of its filters; print every mismatch.
check_cases() {
	local pattern=$1 failures= ran=0
	local input filters status stderr
	while IFS='|' read -r input filters status stderr; do
		squeeze input filters status
		stderr=${stderr# }
		[[ $input =~ ^($pattern)$ ]] || continue
		filters=${filters/events/$EVENT_FILTERS}
		filters=${filters/folded/$FOLDED_FILTERS}
		if [[ $stderr == *%L* ]]; then
			stderr=${stderr//%L/$(gzip_cut_line "$input")}
		fi
		for prog in $filters; do
			ran=$((ran + 1))
			check_one "$prog" "$input" "$status" "${stderr//%P/$prog}"
		done
	done < <(cases)
	[ "$ran" -gt 0 ] || { echo "no case matches '$pattern'"; return 1; }
	[ -z "$failures" ] || { printf '%s' "$failures"; return 1; }
}

# check_one PROG INPUT STATUS STDERR: adds what differs to check_cases's
# $failures, nothing if all is well (in check_cases's shell, not a
# subshell: a process less a case).
check_one() {
	local prog=$1 input=$2 want_status=$3 want_err=$4 got_status
	local -a cmd=("$BIN/$prog") words
	local to_full=
	read -ra words <<<"$input"
	case ${words[0]} in
	'stdout>/dev/full') to_full=1 words=("${words[@]:1}") ;;
	as-nobody) cmd=(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/$prog") words=("${words[@]:1}") ;;
	esac
	if [ ! -x "$BIN/$prog" ]; then
		failures+="$prog $input: $BIN/$prog is not built"$'\n'
		return
	fi
	local out=$BATS_TEST_TMPDIR/out
	[ "$to_full" ] && out=/dev/full
	: >"$BATS_TEST_TMPDIR/out"
	# (&& ||: the filter fails in the test's own shell, under set -e.)
	"${cmd[@]}" "${words[@]}" >"$out" 2>"$BATS_TEST_TMPDIR/err" </dev/null && got_status=0 || got_status=$?
	local got_err got_out failure
	# As $(cat err) and $(head -c 200 out) have them, without two
	# processes a case: whole, and the first 200 bytes, with no final
	# newlines.
	IFS= read -r -d '' got_err <"$BATS_TEST_TMPDIR/err" || true
	IFS= read -r -N 200 got_out <"$BATS_TEST_TMPDIR/out" || true
	while [[ $got_err == *$'\n' ]]; do got_err=${got_err%$'\n'}; done
	while [[ $got_out == *$'\n' ]]; do got_out=${got_out%$'\n'}; done
	if [ "$got_status" != "$want_status" ] || [ "$got_err" != "$want_err" ] ||
		[ -n "$got_out" ]; then
		printf -v failure '%s %s:\n  status %s, expected %s\n  stderr: %s\n  wanted: %s\n  stdout: %s\n' \
			"$prog" "$input" "$got_status" "$want_status" "$got_err" "$want_err" "$got_out"
		failures+=$failure
	fi
}

@test "badinput: every filter of the table is built" {
	for prog in $EVENT_FILTERS $FOLDED_FILTERS; do
		[ -x "$BIN/$prog" ] || { echo "$BIN/$prog is missing"; return 1; }
	done
}

@test "badinput: empty input" { check_cases 'empty'; }
@test "badinput: gzip streams cut short" { check_cases 'cut\..*'; }
@test "badinput: binary data" { check_cases 'nul\..*|garbage\..*'; }
@test "badinput: numbers that overflow 64 bits" { check_cases 'overflow\..*|heapsum\..*'; }
@test "badinput: sums that overflow 64 bits name the line" { check_cases 'sum\.folded'; }
@test "badinput: negative sizes" { check_cases 'negative\..*'; }
@test "badinput: unknown record types and versions" { check_cases 'unknown\.mft|version\.mft'; }
@test "badinput: references to undefined ids" { check_cases 'undefined\.mft|no.*\.mft|huge.*\.mft'; }
@test "badinput: ids defined twice" { check_cases 'dup.*'; }
@test "badinput: frees of unknown allocations" { check_cases 'unknownfree\.mft|doublefree\.mft'; }
@test "badinput: records out of order or of the wrong kind of capture" { check_cases 'backwards\.mft|afterend\.mft|agga\.mft|fullp\.mft'; }
@test "badinput: malformed folded lines" { check_cases 'novalue\.folded|badcount\.folded'; }
@test "badinput: control bytes of the input are shown escaped, never sent to the terminal" { check_cases 'ctl.*'; }
@test "badinput: missing file" { check_cases 'missing\..*'; }
@test "badinput: unreadable file and directory" { check_cases 'as-nobody locked\..*|adir'; }
@test "badinput: output to a full device" { check_cases '.*/dev/full.*'; }
@test "badinput: a line past the 64 MiB limit" { check_cases 'longline\..*'; }

# max_rss_kb CMD...: the peak resident memory of CMD (which may fail).
max_rss_kb() {
	python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

# One line of 512 MiB (half a megabyte of gzip) costs the readers at most
# the limit's buffer: memory is not the input's choice.
# bats test_tags=slow
@test "badinput: a huge line is refused within bounded memory" {
	longline 'H 1 full 1 0 10 x\n' $((512 << 20)) >huge.mft.gz
	longline '# format="mf-folded/1"\n' $((512 << 20)) >huge.folded.gz
	run -1 --separate-stderr "$BIN/mf-peak" huge.mft.gz
	[ "$stderr" = "mf-peak: huge.mft.gz:2: line longer than 64 MiB" ]
	for prog in $EVENT_FILTERS; do
		kb=$(max_rss_kb "$BIN/$prog" huge.mft.gz)
		echo "$prog: peak RSS $kb kB" >&3
		[ "$kb" -lt $((256 << 10)) ]
	done
	for prog in $FOLDED_FILTERS; do
		kb=$(max_rss_kb "$BIN/$prog" huge.folded.gz)
		echo "$prog: peak RSS $kb kB" >&3
		[ "$kb" -lt $((256 << 10)) ]
	done
}

# A frame name of 1 MB is not an error: every filter passes it through.
@test "badinput: a 1 MB frame name works in every filter" {
	local name
	name=$(head -c 1048576 /dev/zero | tr '\0' x)
	printf 'H 1 full 1 0 10 x\nT 1 1 main\nF 1 0 ? 0 %s\nS 1 0 1\na 1 1 5\nE 1 1 0 0 0 exit 0\n' "$name" >big.mft
	printf '# format="mf-folded/1"\nmain;%s 5\n' "$name" >big.folded
	printf '%s 5\n' "$name" >want.events
	printf 'main;%s 5\n' "$name" >want.fold
	printf '%s;main 5\n' "$name" >want.invert
	for prog in $EVENT_FILTERS; do
		"$BIN/$prog" big.mft >out
		has_line want.events out || { echo "$prog: no stack line with the 1 MB frame"; return 1; }
	done
	"$BIN/mf-fold" big.folded >out
	has_line want.fold out
	"$BIN/mf-invert" big.folded >out
	has_line want.invert out
	"$BIN/mf-html" big.folded >out
	printf '"%s"' "$name" >want.html
	has_text want.html out
}

# has_line WANT FILE: a line of FILE is exactly the one line of file WANT
# (grep -Fxqf WANT FILE, without the second of CPU grep takes to compile
# a pattern of 1 MB).
has_line() {
	awk 'NR == FNR { want = $0; next } $0 == want { found = 1 } END { exit !found }' "$1" "$2"
}

# has_text WANT FILE: a line of FILE holds the one line of file WANT
# (grep -Fqf WANT FILE, as fast as has_line).
has_text() {
	awk 'NR == FNR { want = $0; next } index($0, want) { found = 1 } END { exit !found }' "$1" "$2"
}

# A capture cut short (no E record): the reducers write what they could,
# marked truncated, and exit 1.
@test "badinput: a capture without its end record is marked truncated" {
	printf '%s\na 1 1 5\n' "$HEAD" >cut.mft
	for prog in $EVENT_FILTERS; do
		run -1 --separate-stderr "$BIN/$prog" cut.mft
		grep -qx '# truncated=true' <<<"$output" || { echo "$prog: not marked truncated"; return 1; }
		[ "${#stderr_lines[@]}" = 1 ]
		[[ $stderr == "$prog: cut.mft"* ]]
	done
}

# Standard input is read like a file, named "-".
@test "badinput: bad standard input is named '-'" {
	for prog in mf-peak mf-leaks mf-temporal; do
		run -1 --separate-stderr "$BIN/$prog" - <negative.mft
		[ "$output" = "" ]
		[ "$stderr" = "$prog: -:5: expected SIZE as a whole number of at most 20 digits, found '-5'" ]
	done
}

# Every input that once crashed a fuzzing harness (tests/fuzz/regress/)
# must now be an ordinary input error in every filter that reads its format.
@test "badinput: the fuzzers' regression inputs are clean input errors" {
	local n=0 f prog
	for f in "$ROOT"/tests/fuzz/regress/events/* "$ROOT"/tests/fuzz/regress/folded/*; do
		[ -e "$f" ] || continue
		case $f in */events/*) progs=$EVENT_FILTERS ;; *) progs=$FOLDED_FILTERS ;; esac
		for prog in $progs; do
			n=$((n + 1))
			run --separate-stderr "$BIN/$prog" "$f"
			[ "$status" = 1 ] || { echo "$prog $f: status $status"; return 1; }
			[ "${#stderr_lines[@]}" = 1 ] || { echo "$prog $f: $stderr"; return 1; }
			[[ $stderr =~ ^$prog:\ $f(:[0-9]+)?:\  ]] || { echo "$prog $f: $stderr"; return 1; }
		done
	done
	[ "$n" -gt 0 ]
}

# The front door passes the filter's message on, alone, and writes no report.
@test "badinput: mf flamegraph on a bad capture names the filter's error, writes nothing" {
	run -1 --separate-stderr "$BIN/mf" flamegraph -o report.html negative.mft
	[ "$output" = "" ]
	[ "$stderr" = "mf-peak: negative.mft:5: expected SIZE as a whole number of at most 20 digits, found '-5'" ]
	[ ! -e report.html ]
	run -1 --separate-stderr "$BIN/mf" flamegraph -o report.html missing.mft
	[ "$stderr" = "mf-peak: cannot open 'missing.mft': No such file or directory" ]
	[ ! -e report.html ]
}
