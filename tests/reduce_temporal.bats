#!/usr/bin/env bats
# mf-invert and mf-fold (re-folding) on temporal output (docs/TEMPORAL.md,
# "Rules for tools that rewrite folded stacks"): per-stack series stay with
# their stack, merge entry by entry when stacks merge, and every window
# shows the same totals after the rewrite.
#
# tests/data/reduce_temporal.mft: main calls f from two lines (two.c:3 and
# two.c:7) and g.  Their series overlap: both f stacks change in slices 0,
# 1 and 2, and in slice 2 one frees 100 bytes as the other allocates 100,
# so the merged stack_live has no entry for slice 2; with --leaks both
# have an allocation made in slice 1 and never freed, which sum.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	"$BIN/mf-temporal" "$DATA/reduce_temporal.mft" >peak.folded
	"$BIN/mf-temporal" --leaks "$DATA/reduce_temporal.mft" >leaks.folded
}

# Inverting never makes two distinct stacks equal (it reverses the frames),
# so its merge is seen on input with a stack twice: here the locations
# dropped by sed, the two f stacks left apart, unsorted.
duplicated() {
	sed 's/ (two\.c:[0-9]*)//g' "$1"
}

# The header of a file: its lines before the first per-stack line.
header() {
	sed '/^# \(stack_\|count=\)/,$d' "$1"
}

# The totals shown in every window: "S E<TAB>count<TAB>bytes".
window_totals() {
	temporal_views "$1" | awk -F '\t' '{ c[$1] += $3; b[$1] += $4 }
		END { for (w in c) printf "%s\t%d\t%d\n", w, c[w], b[w] }' | sort
}

@test "reduce_temporal: mf-invert merges stack_live entry by entry; a sum of 0 and 0 is dropped" {
	duplicated peak.folded >dup.folded
	run -0 --separate-stderr "$BIN/mf-invert" dup.folded
	[ -z "$stderr" ]
	header dup.folded | sed 's/^# inverted=false$/# inverted=true/' >want
	[ "$(header /dev/stdin <<<"$output")" = "$(cat want)" ]
	[ "$(sed -n '/^# stack_/,$p' <<<"$output")" = '# stack_live=[[0,2,140],[1,1,50]]
# count=3
f;main 190
# stack_live=[[1,1,10],[2,1,5]]
# count=2
g;main 15' ]
}

@test "reduce_temporal: mf-invert merges stack_lifetimes, summing entries of the same slices" {
	duplicated leaks.folded >dup.folded
	run -0 --separate-stderr "$BIN/mf-invert" dup.folded
	[ "$(sed -n '/^# stack_/,$p' <<<"$output")" = '# stack_lifetimes=[[0,1,1,40],[0,2,1,100],[1,4,2,90],[2,4,1,100]]
# count=3
f;main 190
# stack_lifetimes=[[1,4,1,10],[2,3,1,5]]
# count=1
g;main 10' ]
	# Nothing per-stack is left in the header.
	[ "$(grep -c '^# stack_' <<<"$output")" = 2 ]
}

@test "reduce_temporal: mf-invert keeps each series, unchanged, right before its stack's count line" {
	run -0 "$BIN/mf-invert" peak.folded
	[ "$(sed -n '/^# stack_/,$p' <<<"$output")" = '# stack_live=[[0,1,100],[1,1,30],[2,-1,-100]]
# count=1
f (two.c:3);main (two.c:30) 30
# stack_live=[[0,1,40],[1,0,20],[2,1,100]]
# count=2
f (two.c:7);main (two.c:30) 160
# stack_live=[[1,1,10],[2,1,5]]
# count=2
g (two.c:12);main (two.c:30) 15' ]
	[ "$(grep -c '^# slice_peaks=\[140,200,205,205\]$' <<<"$output")" = 1 ]
	[ "$(grep -c '^# slices=4$' <<<"$output")" = 1 ]
}

@test "reduce_temporal: inverting twice gives back every temporal file byte for byte" {
	cp "$DATA"/temporal_*.{peak,leaks,split-peak,split-leaks} .
	for f in *.folded temporal_*; do
		"$BIN/mf-invert" "$f" >once
		"$BIN/mf-invert" once >twice
		cmp "$f" twice
		# Once is a real change: inverted=true, the per-stack lines all kept.
		[ "$(grep -c '^# inverted=true$' once)" = 1 ]
		[ "$(grep -c '^# stack_' once)" = "$(grep -c '^# stack_' "$f")" ]
		[ "$(grep -c '^# stack_' "$f")" -gt 0 ]
	done
}

@test "reduce_temporal: every window shows the same totals after mf-invert, merged or not" {
	for f in peak leaks; do
		duplicated $f.folded >dup.folded
		"$BIN/mf-invert" dup.folded >inv.folded
		"$BIN/mf-invert" $f.folded >plain.folded
		window_totals $f.folded >want
		window_totals inv.folded | diff want -
		window_totals plain.folded | diff want -
	done
	# The totals differ from window to window: a checker that saw nothing would fail here.
	[ "$(window_totals peak.folded | wc -l)" = 10 ]
	[ "$(window_totals peak.folded | head -1)" = "$(printf '0 0\t2\t140')" ]
	[ "$(window_totals leaks.folded | grep '^1 3	')" = "$(printf '1 3\t4\t200')" ]
	[ "$(window_totals leaks.folded | grep '^2 2	')" = "$(printf '2 2\t2\t105')" ]
}

@test "reduce_temporal: windows of the threads fixture survive mf-invert stack by stack" {
	for f in temporal_threads.split-peak temporal_threads.split-leaks; do
		"$BIN/mf-invert" "$DATA/$f" >inv.folded
		temporal_views "$DATA/$f" | awk -F '\t' '{ print $1 "\t" $3 "\t" $4 }' | sort >want
		temporal_views inv.folded | awk -F '\t' '{ print $1 "\t" $3 "\t" $4 }' | sort | diff want -
		[ -s want ]
	done
}

@test "reduce_temporal: mf-fold --functions merges series and stays a temporal file" {
	run -0 --separate-stderr "$BIN/mf-fold" --functions peak.folded
	[ -z "$stderr" ]
	[ "$(sed -n '/^# stack_/,$p' <<<"$output")" = '# stack_live=[[0,2,140],[1,1,50]]
# count=3
main;f 190
# stack_live=[[1,1,10],[2,1,5]]
# count=2
main;g 15' ]
	[ "$(header /dev/stdin <<<"$output")" = "$(header peak.folded; echo '# functions_only=true')" ]
	run -0 "$BIN/mf-fold" --functions leaks.folded
	[ "$(sed -n '/^# reducer=/p; /^# stack_/,$p' <<<"$output")" = '# reducer="temporal-leaks"
# stack_lifetimes=[[0,1,1,40],[0,2,1,100],[1,4,2,90],[2,4,1,100]]
# count=3
main;f 190
# stack_lifetimes=[[1,4,1,10],[2,3,1,5]]
# count=1
main;g 10' ]
}

@test "reduce_temporal: every window of mf-fold --functions shows the unfolded stacks' sums" {
	for f in peak leaks; do
		"$BIN/mf-fold" --functions $f.folded >fn.folded
		temporal_views $f.folded | sed 's/ (two\.c:[0-9]*)//g' | awk -F '\t' '
			{ c[$1 "\t" $2] += $3; b[$1 "\t" $2] += $4 }
			END { for (k in c) printf "%s\t%d\t%d\n", k, c[k], b[k] }' | sort >want
		[ "$(grep -c 'main;f' want)" -gt 3 ]
		temporal_views fn.folded | sort | diff want -
	done
}

@test "reduce_temporal: a non-temporal file re-folded is still reducer folded" {
	printf '# format="mf-folded/1"\n# reducer="peak"\n# count=1\nmain (a.c:1) 5\n' >p.folded
	run -0 "$BIN/mf-fold" --functions p.folded
	[ "$output" = '# format="mf-folded/1"
# reducer="folded"
# functions_only=true
# shown_bytes=5
# shown_allocations=1
# count=1
main 5' ]
}

@test "reduce_temporal: another stack_ key merges by the same rule, its width from its first entry" {
	printf '%s\n' '# format="mf-folded/1"' '# stack_x=[[0,0,1,5],[2,1,1,1]]' 'main;f 5' \
		'# stack_x=[[0,0,-1,-5],[0,1,2,2]]' 'main;f 0' '# stack_x=[]' 'main;g 1' >x.folded
	run -0 "$BIN/mf-invert" x.folded
	[ "$output" = '# format="mf-folded/1"
# inverted=true
# stack_x=[[0,1,2,2],[2,1,1,1]]
f;main 5
# stack_x=[]
g;main 1' ]
}

# check_error VALUE MESSAGE: both tools refuse "# stack_live=VALUE" with MESSAGE.
check_error() {
	printf '# format="mf-folded/1"\n# count=1\nmain;g 5\n# stack_live=%s\n# count=1\nmain;f 5\n' "$1" >bad.folded
	for prog in mf-invert mf-fold; do
		run -1 --separate-stderr "$BIN/$prog" bad.folded
		[ "$stderr" = "$prog: bad.folded:4: $2" ] || { echo "$prog: $stderr"; return 1; }
		[ -z "$output" ]
	done
}

@test "reduce_temporal: malformed series are input errors naming the line" {
	check_error '[[0,1,100]' "expected ',' or ']' after an entry in '# stack_live=', found the end of the line"
	check_error '[[0,1,100]]x' "expected nothing after the list in '# stack_live=', found 'x'"
	check_error '' "expected a list of entries '[[...],...]' in '# stack_live=', found the end of the line"
	check_error '{}' "expected a list of entries '[[...],...]' in '# stack_live=', found '{}'"
	check_error '[0,1,100]' "expected '[' starting an entry in '# stack_live=', found '0,1,100]'"
	check_error '[[]]' "expected an integer in '# stack_live=', found ']]'"
	check_error '[[0,1,1.5]]' "expected ',' or ']' in an entry in '# stack_live=', found '.5]]'"
	check_error '[[0, 1,1]]' "expected an integer in '# stack_live=', found ' 1,1]]'"
	check_error '[[0,01,100]]' "expected an integer in '# stack_live=', found '01,100]]'"
	check_error '[[0,-0,100]]' "expected an integer in '# stack_live=', found '-0,100]]'"
	check_error '[["0",1,100]]' "expected an integer in '# stack_live=', found '\"0\",1,100]]'"
	check_error '[[0,1,9223372036854775808]]' "expected an integer of at most 64 bits in '# stack_live=', found '9223372036854775808]]'"
	check_error '[[0,1]]' "expected entries of 3 integers in '# stack_live=', found one of 2"
	check_error '[[0,1,100,5]]' "expected entries of 3 integers in '# stack_live=', found one of 4"
	check_error '[[-1,1,100]]' "expected slice numbers of 0 or more in '# stack_live='"
	check_error '[[0,0,0]]' "expected no entry of count 0 and bytes 0 in '# stack_live='"
	check_error '[[1,1,1],[0,1,1]]' "expected the entries of '# stack_live=' sorted by their slices, each once"
	check_error '[[1,1,1],[1,2,1]]' "expected the entries of '# stack_live=' sorted by their slices, each once"
}

@test "reduce_temporal: stack_lifetimes entries have 4 integers" {
	printf '# format="mf-folded/1"\n# stack_lifetimes=[[0,1,100]]\nmain;f 5\n' >bad.folded
	run -1 --separate-stderr "$BIN/mf-invert" bad.folded
	[ "$stderr" = "mf-invert: bad.folded:2: expected entries of 4 integers in '# stack_lifetimes=', found one of 3" ]
}

@test "reduce_temporal: a series with no stack after it, or two of one key for a stack, is an error" {
	printf '# format="mf-folded/1"\nmain;f 5\n# stack_live=[[0,1,5]]\n' >end.folded
	printf '# format="mf-folded/1"\n# stack_live=[[0,1,5]]\n# stack_live=[[0,1,5]]\nmain;f 5\n' >two.folded
	for prog in mf-invert mf-fold; do
		run -1 --separate-stderr "$BIN/$prog" end.folded
		[ "$stderr" = "$prog: end.folded:3: expected a stack line after '# stack_live='" ]
		[ -z "$output" ]
		run -1 --separate-stderr "$BIN/$prog" two.folded
		[ "$stderr" = "$prog: two.folded:3: expected one '# stack_live=' line per stack, found a second" ]
	done
}

@test "reduce_temporal: merged sums that overflow 64 bits name the stack's line" {
	printf '%s\n' '# format="mf-folded/1"' '# stack_live=[[0,1,9223372036854775807]]' 'main;f 5' \
		'# stack_live=[[0,1,1]]' 'main;f 5' >big.folded
	run -1 --separate-stderr "$BIN/mf-invert" big.folded
	[ "$stderr" = "mf-invert: big.folded:5: the sum of '# stack_live=' entries overflows 64 bits" ]
	printf '%s\n' '# format="mf-folded/1"' '# stack_live=[[0,1,-9223372036854775808]]' 'main;f 5' \
		'# stack_live=[[0,1,-1]]' 'main;f 5' >small.folded
	run -1 --separate-stderr "$BIN/mf-fold" small.folded
	[ "$stderr" = "mf-fold: small.folded:5: the sum of '# stack_live=' entries overflows 64 bits" ]
}
