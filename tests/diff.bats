#!/usr/bin/env bats
# Differential stacks: mf-diff, the diff format through mf-invert and
# mf-fold, mf-peak --at and mf-leaks --since, mf flamegraph --diff and
# --diff-at, and the differential page.

bats_require_minimum_version 1.5.0
load helpers

# Two builds of tests/progs/diff_builds.c, recorded once for the file.  Each
# build is copied to the same name (in its own folder), so that the
# executable's own frames are the same text in both.
setup_file() {
	export REC="$BATS_FILE_TMPDIR"
	mkdir -p "$REC/base" "$REC/new"
	cp "$PROGS/diff_builds" "$REC/base/app"
	cp "$PROGS/diff_builds_new" "$REC/new/app"
	"$BIN/mf-record" -o "$REC/base.mft" "$REC/base/app"
	"$BIN/mf-record" -o "$REC/new.mft" "$REC/new/app"
	"$BIN/mf-peak" -o "$REC/base.peak" "$REC/base.mft"
	"$BIN/mf-peak" -o "$REC/new.peak" "$REC/new.mft"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# The last frame's function of each stack of diff_builds, with both values.
leaf_values() {
	grep -v '^#' | grep 'diff_builds\.c' | sed 's/^.*;\([a-z]*\) ([^;]*) \([0-9]* [0-9]*\)$/\1 \2/' | sort
}

@test "mf-diff: two builds give exactly the growth, shrinkage, the stable, the vanished and the new" {
	run -0 --separate-stderr "$BIN/mf-diff" "$REC/base.peak" "$REC/new.peak"
	[ "$stderr" = "" ]
	[ "$(leaf_values <<<"$output")" = "appear 0 900
grow 1000 3000
shrink 4000 2000
stay 500 500
vanish 700 0" ]
	# Every stack of either side, once; the rest of the process is unchanged.
	[ "$(stacks | grep -vc 'diff_builds\.c')" = "$(stacks | grep -v 'diff_builds\.c' | awk '$(NF-1) == $NF' | wc -l)" ]
	stacks | LC_ALL=C sort -c
	[ "$(meta reducer)" = '"diff"' ]
	[ "$(meta value)" = '"bytes"' ]
	[ "$(meta base_command)" = "\"$REC/base/app\"" ]
	[ "$(meta new_command)" = "\"$REC/new/app\"" ]
	[ "$(meta base_peak_bytes)" = "$(sed -n 's/^# peak_bytes=//p' "$REC/base.peak")" ]
	[ "$(meta new_peak_bytes)" = "$(sed -n 's/^# peak_bytes=//p' "$REC/new.peak")" ]
	[ "$(meta shown_before)" = "$(sed -n 's/^# shown_bytes=//p' "$REC/base.peak")" ]
	[ "$(meta shown_after)" = "$(sed -n 's/^# shown_bytes=//p' "$REC/new.peak")" ]
	[ "$(meta shown_allocations_after)" = "$(sed -n 's/^# shown_allocations=//p' "$REC/new.peak")" ]
	# Counts of both sides: grow's one allocation on each side.
	[ "$(grep -B1 ';grow (' <<<"$output" | head -1)" = "# counts=[1,1]" ]
	[ "$(grep -B1 ';vanish (' <<<"$output" | head -1)" = "# counts=[1,0]" ]
}

@test "mf-diff: the whole output of two small reductions" {
	printf '# format="mf-folded/1"\n# reducer="peak"\n# value="bytes"\n# peak_bytes=300\n# thread={"thread":1}\n# count=1\nmain;a 100\n# count=2\nmain;b 200\n' > base
	printf '# format="mf-folded/1"\n# reducer="leaks"\n# value="bytes"\n# count=3\nmain;c 50\n# count=1\nmain;a 100\n# count=1\nmain;a 20\n' > new
	run -0 --separate-stderr "$BIN/mf-diff" base new
	[ "$stderr" = "" ]
	diff -u - <(echo "$output") <<'EOF'
# format="mf-folded/1"
# reducer="diff"
# value="bytes"
# inverted=false
# split_threads=false
# base_reducer="peak"
# base_value="bytes"
# base_peak_bytes=300
# base_thread={"thread":1}
# new_reducer="leaks"
# new_value="bytes"
# shown_before=300
# shown_after=170
# shown_allocations_before=3
# shown_allocations_after=5
# counts=[1,2]
main;a 100 120
# counts=[2,0]
main;b 200 0
# counts=[0,3]
main;c 0 50
EOF
	# --normalize scales BASE to NEW's total, rounded down (difffolded.pl -n).
	run -0 "$BIN/mf-diff" --normalize base new
	[ "$(stacks)" = "main;a 56 120
main;b 113 0
main;c 0 50" ]
	[ "$(meta normalized)" = true ]
	# Plain flamegraph.pl input without counts: no counts lines; gzip input.
	printf 'main;a 10\nmain;a 5\n' > plain
	printf 'main;a 1\n' | gzip > plain2.gz
	run -0 "$BIN/mf-diff" -n plain plain2.gz
	[ "$output" = '# format="mf-folded/1"
# reducer="diff"
# value="bytes"
# inverted=false
# split_threads=false
# normalized=true
# shown_before=1
# shown_after=1
main;a 1 1' ]
}

@test "mf-diff: a capture's reduction against itself is all unchanged" {
	run -0 "$BIN/mf-diff" "$REC/new.peak" "$REC/new.peak"
	[ "$(stacks | wc -l)" = "$(grep -vc '^#' "$REC/new.peak")" ]
	[ "$(stacks | awk '$(NF-1) != $NF' | wc -l)" = 0 ]
	[ "$(stacks | sed 's/ [0-9]*$//')" = "$(grep -v '^#' "$REC/new.peak")" ]
}

@test "mf-diff: flamegraph.pl's parser reads every line as a differential sample, no metadata line as data" {
	"$BIN/mf-diff" "$REC/base.peak" "$REC/new.peak" > d
	"$BIN/mf-invert" d > inv
	# flamegraph.pl's own reading of a line (its differential branch); it
	# is not packaged for Debian, so its parsing code is run here.
	for f in d inv; do
		perl -ne 'chomp;
			my ($stack, $samples) = (/^(.*)\s+?(\d+(?:\.\d*)?)$/);
			if (/^#/) { die "metadata looks like data: $_\n" if defined $samples; next }
			die "not data: $_\n" unless defined $samples;
			die "not differential: $_\n" unless $stack =~ /^(.*)\s+?(\d+(?:\.\d*)?)$/;
			($stack, my $before) = ($1, $2);
			die "frame with spaces lost: $_\n" unless $stack =~ /\)$/;
			$b += $before; $a += $samples;
			END { print "$b $a\n" }' "$f" > sums
		[ "$(cat sums)" = "$(sed -n 's/^# shown_before=//p' d) $(sed -n 's/^# shown_after=//p' d)" ]
	done
}

@test "mf-diff: inputs of different kinds are refused, saying how they differ" {
	"$BIN/mf-fold" --count "$REC/new.mft" > count
	run -1 --separate-stderr "$BIN/mf-diff" "$REC/base.peak" count
	[ "$stderr" = "mf-diff: '$REC/base.peak' and 'count' differ in value (\"bytes\" and \"count\"): compare two reductions of one kind" ]
	[ "$output" = "" ]
	"$BIN/mf-invert" "$REC/new.peak" > inv
	run -1 --separate-stderr "$BIN/mf-diff" inv "$REC/new.peak"
	[ "$stderr" = "mf-diff: 'inv' and '$REC/new.peak' differ in inverted (true and false): compare two reductions of one kind" ]
	"$BIN/mf-peak" --split-threads "$REC/new.mft" > split
	run -1 --separate-stderr "$BIN/mf-diff" split "$REC/new.peak"
	[ "$stderr" = "mf-diff: 'split' and '$REC/new.peak' differ in split_threads (true and false): compare two reductions of one kind" ]
}

@test "mf-diff: bad input is an error naming FILE:LINE; usage errors exit 2" {
	printf 'main;a 1\n' > good
	printf 'main;a 1\nmain;b x\n' > bad
	run -1 --separate-stderr "$BIN/mf-diff" good bad
	[ "$stderr" = "mf-diff: bad:2: expected a whole number of at most 20 digits after the stack, found 'x'" ]
	run -1 --separate-stderr "$BIN/mf-diff" "$REC/new.mft" good
	[ "$stderr" = "mf-diff: $REC/new.mft:1: expected folded stacks, found an event stream header (reduce it first: mf-peak, mf-leaks or mf-fold)" ]
	"$BIN/mf-diff" good good > d
	run -1 --separate-stderr "$BIN/mf-diff" good d
	[ "$stderr" = "mf-diff: d:2: expected a reduction, found a diff (mf-diff compares two reductions)" ]
	: > empty
	run -1 --separate-stderr "$BIN/mf-diff" good empty
	[ "$stderr" = "mf-diff: empty: empty input: expected folded stacks (docs/FORMAT.md)" ]
	run -1 --separate-stderr "$BIN/mf-diff" good missing
	[ "${stderr%%:*}" = "mf-diff" ]
	[[ "$stderr" == "mf-diff: cannot open 'missing': "* ]]
	run -2 --separate-stderr "$BIN/mf-diff" good
	[ "${stderr_lines[0]}" = "mf-diff: expected two files, BASE and NEW, found 1" ]
	[ "${stderr_lines[1]}" = "usage: mf-diff [-f] [-o OUTPUT] [--normalize] BASE NEW" ]
	run -2 --separate-stderr "$BIN/mf-diff" - -
	[ "${stderr_lines[0]}" = "mf-diff: BASE and NEW cannot both be standard input" ]
	run -2 --separate-stderr "$BIN/mf-diff" --bogus good good
	[ "${stderr_lines[0]}" = "mf-diff: unknown option '--bogus'" ]
	run -0 "$BIN/mf-diff" --help
	[ "$output" = "usage: mf-diff [-f] [-o OUTPUT] [--normalize] BASE NEW" ]
	run -0 "$BIN/mf-diff" -o out good good
	[ "$output" = "" ]
	run -1 --separate-stderr "$BIN/mf-diff" -o out good good
	[ "$stderr" = "mf-diff: 'out' already exists; use -f to overwrite it" ]
}

@test "diff format: bad diff lines are errors naming FILE:LINE" {
	printf '# reducer="diff"\nmain;a 1\n' > one
	fails_saying "mf-invert: one:2: expected 'FRAME;FRAME;... BEFORE AFTER' in a diff, found one value" \
		"$BIN/mf-invert" one
	printf '# reducer="diff"\nmain;a x 1\n' > word
	fails_saying "mf-fold: word:2: expected 'FRAME;FRAME;... BEFORE AFTER' in a diff, found 'x' before AFTER" \
		"$BIN/mf-fold" --functions word
	printf '# reducer="diff"\n# count=1\nmain;a 1 1\n' > count
	fails_saying "mf-invert: count:2: expected '# counts=[BEFORE,AFTER]' in a diff, found '# count='" \
		"$BIN/mf-invert" count
	printf '# reducer="diff"\n# counts=[1]\nmain;a 1 1\n' > counts
	fails_saying "mf-invert: counts:2: expected '# counts=[BEFORE,AFTER]' with whole numbers, found '[1]'" \
		"$BIN/mf-invert" counts
	printf 'main;a 1\n# reducer="diff"\nmain;a 1 1\n' > late
	fails_saying "mf-invert: late:2: expected a diff's '# reducer=' line before its first stack line" \
		"$BIN/mf-invert" late
	printf '# reducer="diff"\n# stack_live=[[0,1,1]]\nmain;a 1 1\n' > series
	fails_saying "mf-fold: series:2: expected no per-stack series in a diff, found '# stack_live='" \
		"$BIN/mf-fold" series
	fails_saying "mf-invert: series:2: expected no per-stack series in a diff, found '# stack_live='" \
		"$BIN/mf-invert" series
	fails_saying "mf-fold: series:1: --count needs folded stacks of one side, and this is a diff" \
		"$BIN/mf-fold" --count series
	printf '# reducer="diff"\n# counts=[18446744073709551615,0]\nmain;a (x.c:1) 1 1\n# counts=[1,0]\nmain;a (x.c:2) 1 1\n' > big
	run -1 --separate-stderr "$BIN/mf-fold" --functions big
	[ "$stderr" = "mf-fold: big:5: the total of a stack overflows 64 bits" ]
}

@test "diff format: mf-invert inverts a diff (twice gives it back), mf-fold --functions merges it" {
	"$BIN/mf-diff" "$REC/base.peak" "$REC/new.peak" > d
	run -0 "$BIN/mf-invert" d
	[ "$(meta inverted)" = true ]
	[ "$(meta reducer)" = '"diff"' ]
	grep -q '^# counts=\[1,1\]$' <<<"$output"
	[ "$(stacks | grep '^grow (' | sed 's/.* \([0-9]* [0-9]*\)$/\1/')" = "1000 3000" ]
	"$BIN/mf-invert" d | "$BIN/mf-invert" > twice
	cmp d twice
	run -0 "$BIN/mf-fold" --functions d
	[ "$(meta functions_only)" = true ]
	[ "$(stacks | grep ';main;' | sed 's/^.*;main;//')" = "appear 0 900
grow 1000 3000
shrink 4000 2000
stay 500 500
vanish 700 0" ]
	# Merged stacks add both sides and both counts.
	printf '# reducer="diff"\n# counts=[1,2]\nmain;a (x.c:1) 10 20\n# counts=[3,4]\nmain;a (x.c:2) 1 2\n' > two
	run -0 "$BIN/mf-fold" --functions two
	[ "$output" = '# format="mf-folded/1"
# reducer="diff"
# functions_only=true
# shown_before=11
# shown_after=22
# shown_allocations_before=4
# shown_allocations_after=6
# counts=[4,6]
main;a 11 22' ]
	# The diff of two --functions reductions is accepted (the same kind).
	"$BIN/mf-fold" --functions "$REC/base.peak" > bf
	"$BIN/mf-fold" --functions "$REC/new.peak" > nf
	run -0 "$BIN/mf-diff" bf nf
	[ "$(meta functions_only)" = true ]
}

# The stack lines of mf-peak --at $1 on the two-phase capture, frames cut to their functions.
at() {
	"$BIN/mf-peak" --at "$1" "$DATA/diff_phases.mft" | grep -v '^#' | sed 's/ ([^;]*)//g'
}

@test "mf-peak --at: each phase of a two-phase capture exactly, the last event at or before MS" {
	# Before the first allocation: nothing live, and no error (at's pipe would hide one).
	run -0 --separate-stderr "$BIN/mf-peak" --at 50 "$DATA/diff_phases.mft"
	[ "$stderr" = "" ]
	[ "$(at 50)" = "" ]
	[ "$(at 100)" = "main;one 110
main;two 200" ]
	[ "$(at 1499)" = "$(at 100)" ]
	[ "$(at 1500)" = "main;one 10
main;three 350
main;two 200" ]
	[ "$(at 2499)" = "$(at 1500)" ]
	[ "$(at 2500)" = "main;one 10
main;three 350" ]
	[ "$(at 9223372036854775807)" = "$(at 2500)" ]
	# The peak's metadata, and the moment.
	run -0 --separate-stderr "$BIN/mf-peak" --at 1000 "$DATA/diff_phases.mft"
	[ "$stderr" = "" ]
	meta_is reducer '"live"' at_ms 1000 peak_bytes 560 peak_time_ms 1500 \
		shown_bytes 310 shown_allocations 3 memory "[1000,310,4096]"
	grep -qx '# count=2' <<<"$output"
	# Split by thread, too.
	run -0 "$BIN/mf-peak" --split-threads --at 1000 "$DATA/diff_phases.mft"
	[ "$(stacks | sed 's| (/src/[^;]*)||g')" = "thread 1 (phases);main;one 110
thread 1 (phases);main;two 200" ]
}

@test "mf-leaks --since: only the leaks made at or after MS" {
	since() {
		"$BIN/mf-leaks" --since "$1" "$DATA/diff_phases.mft" | grep -v '^#' | sed 's/ ([^;]*)//g'
	}
	[ "$(since 0)" = "main;one 10
main;three 350" ]
	[ "$(since 0)" = "$("$BIN/mf-leaks" "$DATA/diff_phases.mft" | grep -v '^#' | sed 's/ ([^;]*)//g')" ]
	[ "$(since 101)" = "main;three 350" ]
	[ "$(since 1500)" = "main;three 350" ]
	[ "$(since 1501)" = "" ]
	run -0 "$BIN/mf-leaks" --since 1000 "$DATA/diff_phases.mft"
	[ "$(meta reducer)" = '"leaks"' ]
	[ "$(meta since_ms)" = 1000 ]
	[ "$(meta leaked_bytes)" = 350 ]
	[ "$(meta leaked_allocations)" = 2 ]
	[ "$(meta peak_bytes)" = 560 ]
}

@test "--at and --since: what grew between two moments is a pipeline" {
	run -0 "$BIN/mf-diff" <("$BIN/mf-peak" --at 1000 "$DATA/diff_phases.mft") <("$BIN/mf-peak" --at 2000 "$DATA/diff_phases.mft")
	[ "$(stacks | sed 's/ ([^;]*)//g')" = "main;one 110 10
main;three 0 350
main;two 200 200" ]
	[ "$(meta base_at_ms)" = 1000 ]
	[ "$(meta new_at_ms)" = 2000 ]
}

@test "--at and --since: bad values are usage errors, aggregated captures are refused" {
	run -2 --separate-stderr "$BIN/mf-peak" --at x "$DATA/diff_phases.mft"
	[ "${stderr_lines[0]}" = "mf-peak: --at takes a whole number from 0 to 9223372036854775807, not 'x'" ]
	[ "${stderr_lines[1]}" = "usage: mf-peak [-f] [-o OUTPUT] [--at MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]" ]
	run -2 --separate-stderr "$BIN/mf-leaks" --since -1 "$DATA/diff_phases.mft"
	[ "${stderr_lines[0]}" = "mf-leaks: --since takes a whole number from 0 to 9223372036854775807, not '-1'" ]
	run -2 --separate-stderr "$BIN/mf-leaks" --at 1 "$DATA/diff_phases.mft"
	[ "${stderr_lines[0]}" = "mf-leaks: unknown option '--at'" ]
	run -2 --separate-stderr "$BIN/mf-peak" --since 1 "$DATA/diff_phases.mft"
	[ "${stderr_lines[0]}" = "mf-peak: unknown option '--since'" ]
	run -2 --separate-stderr "$BIN/mf-peak" --at
	[ "${stderr_lines[0]}" = "mf-peak: option '--at' needs an argument" ]
	run -1 --separate-stderr "$BIN/mf-peak" --at 5 "$DATA/reduce_aggregate.mft"
	[ "$stderr" = "mf-peak: $DATA/reduce_aggregate.mft: the allocations live at a moment (--at) need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate" ]
	run -1 --separate-stderr "$BIN/mf-leaks" --since 5 "$DATA/reduce_aggregate.mft"
	[ "$stderr" = "mf-leaks: $DATA/reduce_aggregate.mft: the leaks since a moment (--since) need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate" ]
	# A bad capture is still an error naming FILE:LINE.
	printf 'H 2 full 7 0 10 ./x\nt 5\na 1 9 10\n' > bad.mft
	run -1 --separate-stderr "$BIN/mf-peak" --at 5 bad.mft
	[ "${stderr%%:*}" = "mf-peak" ]
	[[ "$stderr" == "mf-peak: bad.mft:3: "* ]]
}

@test "mf flamegraph --diff: the reducer on both captures, then mf-diff and mf-html" {
	run -0 --separate-stderr "$BIN/mf" flamegraph --diff "$REC/base.mft" "$REC/new.mft"
	[ "$stderr" = "mf: wrote mf-flamegraph-diff-new.mft.html" ]
	"$BIN/mf-diff" "$REC/base.peak" "$REC/new.peak" | "$BIN/mf-html" > expected.html
	cmp expected.html mf-flamegraph-diff-new.mft.html
	# --leaks, --inverted, --split-threads go to their stages.
	run -0 "$BIN/mf" flamegraph --leaks --inverted --split-threads -o inv.html --diff "$REC/base.mft" "$REC/new.mft"
	"$BIN/mf-diff" <("$BIN/mf-leaks" --split-threads "$REC/base.mft") <("$BIN/mf-leaks" --split-threads "$REC/new.mft") |
		"$BIN/mf-invert" | "$BIN/mf-html" > expected.html
	cmp expected.html inv.html
	# --diff-at: two moments of one capture.
	run -0 "$BIN/mf" flamegraph -o at.html --diff-at 1000,2000 "$DATA/diff_phases.mft"
	"$BIN/mf-diff" <("$BIN/mf-peak" --at 1000 "$DATA/diff_phases.mft") <("$BIN/mf-peak" --at 2000 "$DATA/diff_phases.mft") |
		"$BIN/mf-html" > expected.html
	cmp expected.html at.html
}

@test "mf flamegraph --diff: a failing side is named, nothing is written; usage errors exit 2" {
	run -1 --separate-stderr "$BIN/mf" flamegraph -o r.html --diff missing.mft "$REC/new.mft"
	[ "$stderr" = "mf-peak: cannot open 'missing.mft': No such file or directory" ]
	[ ! -e r.html ]
	run -1 --separate-stderr "$BIN/mf" flamegraph -o r.html --diff "$REC/base.mft" missing.mft
	[ "$stderr" = "mf-peak: cannot open 'missing.mft': No such file or directory" ]
	[ ! -e r.html ]
	run -1 --separate-stderr "$BIN/mf" flamegraph -o r.html --diff-at 1,2 "$DATA/reduce_aggregate.mft"
	[[ "$stderr" == "mf-peak: $DATA/reduce_aggregate.mft: the allocations live at a moment (--at) need a full capture"* ]]
	[ ! -e r.html ]
	for bad in x 1 1, ,1 1,2,3 1,-2 9223372036854775808,1; do
		run -2 --separate-stderr "$BIN/mf" flamegraph --diff-at "$bad" "$REC/new.mft"
		[ "${stderr_lines[0]}" = "mf: --diff-at takes two times A,B in milliseconds from 0 to 9223372036854775807, not '$bad'" ]
	done
	run -2 --separate-stderr "$BIN/mf" flamegraph --diff-at 1,2 --leaks "$REC/new.mft"
	[ "${stderr_lines[0]}" = "mf: --diff-at compares the live allocations at two moments: it cannot be combined with --leaks or --temporary-allocations" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph --diff-at 1,2 --diff "$REC/base.mft" "$REC/new.mft"
	[ "${stderr_lines[0]}" = "mf: --diff and --diff-at cannot be combined" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph --temporal --diff "$REC/base.mft" "$REC/new.mft"
	[ "${stderr_lines[0]}" = "mf: --temporal cannot be combined with --diff or --diff-at" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph -o r.html --diff-at 1,2 -
	[ "${stderr_lines[0]}" = "mf: --diff-at reads CAPTURE twice: it cannot be standard input" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph -o r.html --diff - -
	[ "${stderr_lines[0]}" = "mf: BASE_CAPTURE and CAPTURE cannot both be standard input" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph "$REC/new.mft" --diff
	[ "${stderr_lines[0]}" = "mf: option '--diff' needs an argument" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph --diff -o r.html "$REC/base.mft" "$REC/new.mft"
	[ "${stderr_lines[0]}" = "mf: --diff takes BASE_CAPTURE right after it, not the option '-o'" ]
	[ ! -e r.html ]
}

# diff_check CHECK REPORT [#FRAGMENT]: one check of tests/browser/diff.mjs.
diff_check() {
	(cd "$ROOT" && browser_ready) || return 1
	run node "$ROOT/tests/browser/diff.mjs" "$@"
	[ -n "$output" ] && echo "$output"
	[ "$status" -eq 0 ]
}

@test "mf-html: a diff's page data carries both sides of every stack" {
	printf '# reducer="diff"\n# counts=[1,2]\nmain;a 10 20\n# counts=[3,0]\nmain;b 5 0\n' > d
	run -0 "$BIN/mf-html" d
	[[ "$output" == *'"frames":["main","a","b"],"counted":true,"diff":true,"stacks":[0,2,0,1,20,2,10,1,1,1,2,0,0,5,3]}'* ]]
	printf '# reducer="diff"\n# counts=[1,2]\nmain;a 18446744073709551615 20\nmain;b 1 0\n' > big
	run -1 --separate-stderr "$BIN/mf-html" big
	[ "$stderr" = "mf-html: big:4: the total of all stacks overflows 64 bits" ]
}

# bats test_tags=browser
@test "browser: the diff page's colours, legend, header, tooltip, list and toggle" {
	"$BIN/mf-diff" "$REC/base.peak" "$REC/new.peak" | "$BIN/mf-html" -o diff.html
	diff_check builds "$PWD/diff.html"
	diff_check fragment "$PWD/diff.html" '#view=flame&search=grow&widths=base'
}

# bats test_tags=browser
@test "browser: a capture's diff with itself is all near-white; split threads filter; an --at page" {
	"$BIN/mf-diff" "$REC/new.peak" "$REC/new.peak" | "$BIN/mf-html" -o same.html
	diff_check same "$PWD/same.html"
	"$BIN/mf" flamegraph --split-threads -o split.html --diff "$REC/base.mft" "$REC/new.mft"
	diff_check threads "$PWD/split.html"
	"$BIN/mf-peak" --at 1000 "$DATA/diff_phases.mft" | "$BIN/mf-html" -o live.html
	diff_check live "$PWD/live.html"
}

# bats test_tags=browser
@test "browser: a diff page finds its frames' kinds in the modules of both sides" {
	# libold.so (BASE's) and libnew.so (NEW's) are outside the system's
	# library directories: your code, by their module lines; by the paths
	# alone they would be libraries.  app is on both sides: listed once.
	cat > d <<'IN'
# reducer="diff"
# value="bytes"
# base_module={"path":"/opt/app/bin/app","program":true,"lines":false,"files":[]}
# base_module={"path":"/opt/app/lib/libold.so","files":["src/old.c"]}
# new_module={"path":"/opt/app/bin/app","program":true,"lines":false,"files":[]}
# new_module={"path":"/opt/app/lib/libnew.so","files":[]}
# new_module={"path":"/usr/lib/x86_64-linux-gnu/libz.so.1","files":["deflate.c"]}
main (app);lib_call (libz.so.1) 5 5
main (app);lib_line (deflate.c:12) 5 5
main (app);new_alloc (libnew.so) 0 200
main (app);old_alloc (libold.so) 100 0
main (app);old_line (src/old.c:7) 10 0
IN
	"$BIN/mf-html" -o modules.html d
	diff_check modules "$PWD/modules.html"
}

# Issue 11, item 8 (merges are linear): the readers of folded stacks looked
# up value, split_threads and the like in their metadata once a stack line,
# walking every metadata line: 100,000 of each took mf-diff 110 s.
# bats test_tags=slow
@test "mf-diff, mf-invert, mf-fold: 100,000 metadata lines before 100,000 stacks pass through whole" {
	python3 -c 'import sys
w = sys.stdout.write
w("".join("# k%d=%d\n" % (i, i) for i in range(100000)))
w("".join("main;f%d 1\n" % i for i in range(100000)))' > m.folded
	run -0 --separate-stderr "$BIN/mf-diff" m.folded m.folded
	[ "$stderr" = "" ]
	[ "$(grep -c '^# base_k[0-9]*=' <<<"$output")" = 100000 ]
	[ "$(grep -c '^# new_k[0-9]*=' <<<"$output")" = 100000 ]
	[ "$(stacks | grep -c ' 1 1$')" = 100000 ]
	[ "$(meta new_k99999)" = 99999 ]
	[ "${lines[-1]}" = "main;f99999 1 1" ]
	run -0 --separate-stderr "$BIN/mf-invert" m.folded
	[ "$(grep -c '^# k[0-9]*=' <<<"$output")" = 100000 ]
	[ "$(meta inverted)" = true ]
	[ "$(stacks | wc -l)" = 100000 ]
	[ "${lines[-1]}" = "f9;main 1" ]
	run -0 --separate-stderr "$BIN/mf-fold" --functions m.folded
	[ "$(grep -c '^# k[0-9]*=' <<<"$output")" = 100000 ]
	[ "$(meta functions_only)" = true ]
	[ "${lines[-1]}" = "main;f99999 1" ]
}

# Issue 11's hostile inputs for mf-diff, --at and --since (which came later).
@test "mf-diff, --at, --since: directories, overflowing sums, 100,000 duplicate stacks, the largest and past-largest moments" {
	printf 'main;a 1\n' > good
	run -1 --separate-stderr "$BIN/mf-diff" good .
	[ "$stderr" = "mf-diff: .:1: cannot read: Is a directory" ]
	printf 'main;a 18446744073709551615\nmain;a 1\n' > over
	run -1 --separate-stderr "$BIN/mf-diff" over good
	[ "$stderr" = "mf-diff: over:2: the total of a stack overflows 64 bits" ]
	[ "$output" = "" ]
	python3 -c 'print("main;a;b 3\n" * 100000, end="")' > dup
	run -0 --separate-stderr "$BIN/mf-diff" good dup
	[ "$(stacks)" = "main;a 1 0
main;a;b 0 300000" ]
	[ "$(meta shown_after)" = 300000 ]
	run -0 --separate-stderr "$BIN/mf-peak" --at 9223372036854775807 "$DATA/diff_phases.mft"
	[ "$(meta at_ms)" = 9223372036854775807 ]
	run -2 --separate-stderr "$BIN/mf-peak" --at 9223372036854775808 "$DATA/diff_phases.mft"
	[ "${stderr_lines[0]}" = "mf-peak: --at takes a whole number from 0 to 9223372036854775807, not '9223372036854775808'" ]
	run -0 --separate-stderr "$BIN/mf-leaks" --since 9223372036854775807 "$DATA/diff_phases.mft"
	[ "$(stacks)" = "" ]
	[ "$(meta shown_bytes)" = 0 ]
	run -2 --separate-stderr "$BIN/mf-leaks" --since 99999999999999999999999 "$DATA/diff_phases.mft"
	[ "${stderr_lines[0]}" = "mf-leaks: --since takes a whole number from 0 to 9223372036854775807, not '99999999999999999999999'" ]
}

# bats test_tags=browser
@test "browser: the diff page with hostile base_ and new_ metadata and module lines keeps working" {
	{
		printf '# format="mf-folded/1"\n# reducer="diff"\n'
		printf '# base_start_ms=1e300\n# new_start_ms=-5\n# base_at_ms={"a":1}\n# new_at_ms=1e300\n'
		printf '# base_argv={"0":"x"}\n# base_command={"toString":1}\n# new_argv=["./app","a b"]\n'
		printf '# base_reducer="__proto__"\n# new_reducer={"toString":1}\n# base___proto__={"polluted":1}\n'
		printf '# __proto__={"polluted":1}\n# new_constructor=1\n'
		printf '# module={"path":"__proto__","files":["constructor"]}\n# module=[1,2]\n# module={"path":{"x":1}}\n'
		printf 'main;a 10 20\nmain;b 5 0\n'
	} > hostile.folded
	"$BIN/mf-html" -o hostile.html hostile.folded
	diff_check hostile "$PWD/hostile.html"
}

# Sums past 64 bits are input errors that name the file and the line
# where the total of one side overflowed, as the sum of one stack's does
# (mf-diff named no file at all, with --normalize or without, nor did
# mf-invert and mf-fold reading a diff); --normalize scales the largest
# values exactly (128-bit products).
@test "mf-diff, mf-invert, mf-fold: a total past 64 bits names FILE:LINE; --normalize scales the largest values exactly" {
	printf 'main;a 1\n' > good
	printf 'main;a 10000000000000000000\nmain;b 10000000000000000000\n' > big
	for args in "--normalize big good" "big good" "good big" "--normalize good big"; do
		run -1 --separate-stderr "$BIN/mf-diff" $args
		[ "$stderr" = "mf-diff: big:2: the total of all stacks overflows 64 bits" ]
		[ "$output" = "" ]
	done
	printf '# format="mf-folded/1"\n# reducer="diff"\nmain;a 10000000000000000000 0\nmain;b 1 10000000000000000000\nmain;c 0 10000000000000000000\n' > bigdiff
	run -1 --separate-stderr "$BIN/mf-invert" bigdiff
	[ "$stderr" = "mf-invert: bigdiff:5: the total of all stacks overflows 64 bits" ]
	run -1 --separate-stderr "$BIN/mf-fold" bigdiff
	[ "$stderr" = "mf-fold: bigdiff:5: the total of all stacks overflows 64 bits" ]
	# BASE totals 4 and NEW 2^64 - 1: each BASE value times (2^64 - 1) / 4, rounded down.
	printf 'main;a 3\nmain;b 1\n' > small
	printf 'main;c 18446744073709551615\n' > max
	run -0 --separate-stderr "$BIN/mf-diff" --normalize small max
	[ "$(stacks)" = "main;a 13835058055282163711 0
main;b 4611686018427387903 0
main;c 0 18446744073709551615" ]
	[ "$(meta shown_before)" = 18446744073709551614 ]
	[ "$(meta shown_after)" = 18446744073709551615 ]
}

# An empty diff (two moments before the first allocation) shows "No
# allocations to show." and no "Largest changes" heading over nothing; a
# diff whose after side is empty draws nothing with its widths but lists
# what shrank all the same.
# bats test_tags=browser
@test "browser: an empty diff page hides the largest changes; an empty after side still lists them" {
	run -0 "$BIN/mf" flamegraph -o empty.html --diff-at 0,1 "$DATA/diff_phases.mft"
	printf '# format="mf-folded/1"\n# reducer="diff"\nmain;a 10 0\nmain;b 5 0\n' | "$BIN/mf-html" -o gone.html
	(cd "$ROOT" && browser_ready)
	run -0 --separate-stderr node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
for (const file of process.argv.slice(1)) {
	const r = await openReport(file);
	console.log(await r.page.evaluate(() => [document.getElementById("mf-empty").hidden ? "graph" : "empty",
		document.getElementById("mf-diff-list").hidden ? "no list" : "list",
		...Array.from(document.querySelectorAll("#mf-diff-list li"), (li) => li.innerText.replace(/\n/g, " "))].join("|")));
	await r.close();
	if (r.problems.length) { console.error(r.problems.join("\n")); process.exit(1); }
}
' "$PWD/empty.html" "$PWD/gone.html"
	[ -z "$stderr" ]
	[ "${lines[0]}" = "empty|no list" ]
	[ "${lines[1]}" = "empty|list|"$'\u2212'"10 B a|"$'\u2212'"5 B b" ]
}
