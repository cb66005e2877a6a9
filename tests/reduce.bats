#!/usr/bin/env bats
# The reducers mf-peak, mf-leaks, mf-fold and mf-invert on hand-written
# event streams (tests/data/reduce_*): exact stacks, values, counts and
# metadata, and every error path.  The end-to-end tests through the real
# recorder are in reduce_e2e.bats.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "mf-peak: the whole output of a small capture" {
	reduce_peak_writes peak mf-peak <<'EOF'
# shown_bytes=300
# shown_allocations=2
# count=1
main (/src/app.c:30);a (/src/app.c:4) 100
# count=1
main (/src/app.c:30);a (/src/app.c:4);b (/src/app.c:8) 200
EOF
}

@test "mf-peak: when the peak height comes back later, the first moment wins" {
	# At 7 ms the heap is 300 again (a: 250, b: 50); the peak stays at 5 ms.
	run -0 "$BIN/mf-peak" "$DATA/reduce_peak.mft"
	[ "$(meta peak_time_ms)" = 5 ]
	[ "$(stacks)" = "main (/src/app.c:30);a (/src/app.c:4) 100
main (/src/app.c:30);a (/src/app.c:4);b (/src/app.c:8) 200" ]
}

@test "mf-peak: a realloc chain counts only its latest block" {
	run -0 "$BIN/mf-peak" "$DATA/reduce_realloc.mft"
	[ "$(stacks)" = "main (/src/grow.c:20);grow (/src/grow.c:5) 40
main (/src/grow.c:20);scratch (/src/grow.c:9) 5" ]
	[ "$(meta peak_bytes)" = 45 ]
	[ "$(meta peak_allocations)" = 2 ]
	[ "$(meta untracked_frees)" = 2 ]
}

@test "mf-leaks: allocations live at the end, realloc chain included" {
	run -0 --separate-stderr "$BIN/mf-leaks" "$DATA/reduce_realloc.mft"
	[ "$(stacks)" = "main (/src/grow.c:20);grow (/src/grow.c:5) 40" ]
	meta_is reducer '"leaks"' leaked_bytes 40 leaked_allocations 1 shown_bytes 40 peak_bytes 45
	grep -qx '# count=1' <<<"$output"
}

@test "mf-leaks: two allocations of one stack merge, with their count" {
	run -0 "$BIN/mf-leaks" "$DATA/reduce_peak.mft"
	[ "$(grep -v '^# [a-z_]*=[^ ]*[^0-9 ]$' <<<"$output" | grep -A1 '^# count')" = "# count=2
main (/src/app.c:30);a (/src/app.c:4) 250" ]
}

@test "mf-fold: every allocation, in bytes and with --count" {
	run -0 "$BIN/mf-fold" "$DATA/reduce_realloc.mft"
	[ "$(stacks)" = "main (/src/grow.c:20);grow (/src/grow.c:5) 70
main (/src/grow.c:20);scratch (/src/grow.c:9) 5" ]
	[ "$(meta reducer)" = '"all"' ]
	[ "$(meta value)" = '"bytes"' ]
	[ "$(meta shown_allocations)" = 4 ]
	run -0 "$BIN/mf-fold" --count "$DATA/reduce_realloc.mft"
	[ "$(stacks)" = "main (/src/grow.c:20);grow (/src/grow.c:5) 3
main (/src/grow.c:20);scratch (/src/grow.c:9) 1" ]
	[ "$(meta value)" = '"count"' ]
	[ "$(meta shown_bytes)" = 75 ]
}

@test "mf-fold --temporary=0: freed before any other allocation of the thread" {
	run -0 --separate-stderr "$BIN/mf-fold" --temporary=0 "$DATA/reduce_temporary.mft"
	[ "$(stacks)" = "main (/src/temp.c:50);one (/src/temp.c:11) 1
main (/src/temp.c:50);thirtytwo (/src/temp.c:16) 32" ]
	[ "$(meta reducer)" = '"temporary"' ]
	[ "$(meta temporary_threshold)" = 0 ]
	[ "$(meta shown_allocations)" = 2 ]
}

@test "mf-fold --temporary is --temporary=1" {
	run -0 "$BIN/mf-fold" --temporary "$DATA/reduce_temporary.mft"
	one=$output
	[ "$(stacks)" = "main (/src/temp.c:50);one (/src/temp.c:11) 1
main (/src/temp.c:50);thirtytwo (/src/temp.c:16) 32
main (/src/temp.c:50);two (/src/temp.c:12) 2" ]
	[ "$(meta temporary_threshold)" = 1 ]
	run -0 "$BIN/mf-fold" --temporary=1 "$DATA/reduce_temporary.mft"
	[ "$output" = "$one" ]
	# The same stream with two() freed after 2 others: temporary for N >= 2
	# only, so that --temporary is told apart from --temporary=2.
	sed 's/^f 1 1$/a 1 9 1000\nf 1 2/; s/^E 3 21 /E 3 22 /' "$DATA/reduce_temporary.mft" >two.mft
	run -0 "$BIN/mf-fold" --temporary two.mft
	[ "$(stacks)" = "main (/src/temp.c:50);one (/src/temp.c:11) 1
main (/src/temp.c:50);thirtytwo (/src/temp.c:16) 32" ]
	run -0 "$BIN/mf-fold" --temporary=2 two.mft
	[ "$(stacks)" = "main (/src/temp.c:50);one (/src/temp.c:11) 1
main (/src/temp.c:50);thirtytwo (/src/temp.c:16) 32
main (/src/temp.c:50);two (/src/temp.c:12) 2" ]
}

@test "mf-fold --temporary=4 and =5: the allocation freed after 5 others sits on the boundary" {
	run -0 "$BIN/mf-fold" --temporary=4 "$DATA/reduce_temporary.mft"
	[ "$(stacks | grep -c .)" = 3 ]
	run -1 grep four <<<"$output"
	run -0 "$BIN/mf-fold" --temporary=5 "$DATA/reduce_temporary.mft"
	[ "$(stacks)" = "main (/src/temp.c:50);four (/src/temp.c:13) 4
main (/src/temp.c:50);one (/src/temp.c:11) 1
main (/src/temp.c:50);thirtytwo (/src/temp.c:16) 32
main (/src/temp.c:50);two (/src/temp.c:12) 2" ]
	[ "$(meta shown_bytes)" = 39 ]
	# 6 others: temporary only from N=6; freed by another thread: never.
	run -0 "$BIN/mf-fold" --temporary=6 "$DATA/reduce_temporary.mft"
	grep -q '^main (/src/temp.c:50);eight (/src/temp.c:14) 8$' <<<"$output"
	run -0 "$BIN/mf-fold" --temporary=1000 "$DATA/reduce_temporary.mft"
	run -1 grep sixteen <<<"$output"
}

@test "mf-fold --temporary=0 on a realloc chain: each replaced block is temporary" {
	run -0 "$BIN/mf-fold" --temporary=0 "$DATA/reduce_realloc.mft"
	[ "$(stacks)" = "main (/src/grow.c:20);grow (/src/grow.c:5) 30
main (/src/grow.c:20);scratch (/src/grow.c:9) 5" ]
}

@test "--split-threads: one thread frame first, with the thread's latest name" {
	run -0 "$BIN/mf-peak" --split-threads "$DATA/reduce_threads.mft"
	[ "$(stacks)" = "thread 1 (mt);main (/src/mt.c:40);work (/src/mt.c:10) 100
thread 2 (worker);main (/src/mt.c:40);work (/src/mt.c:10) 15
thread 2 (worker);worker_main (/src/mt.c:20);work (/src/mt.c:10) 1000" ]
	[ "$(meta split_threads)" = true ]
	[ "$(meta thread)" = '{"thread":1,"tid":300,"name":"mt"}
{"thread":2,"tid":301,"name":"worker"}' ]
	run -0 "$BIN/mf-leaks" --split-threads "$DATA/reduce_threads.mft"
	[ "$(stacks)" = "thread 1 (mt);main (/src/mt.c:40);work (/src/mt.c:10) 100
thread 2 (worker);main (/src/mt.c:40);work (/src/mt.c:10) 10
thread 2 (worker);worker_main (/src/mt.c:20);work (/src/mt.c:10) 1000" ]
	run -0 "$BIN/mf-fold" --split-threads --count "$DATA/reduce_threads.mft"
	[ "$(stacks)" = "thread 1 (mt);main (/src/mt.c:40);work (/src/mt.c:10) 1
thread 2 (worker);main (/src/mt.c:40);work (/src/mt.c:10) 2
thread 2 (worker);worker_main (/src/mt.c:20);work (/src/mt.c:10) 1" ]
}

@test "without --split-threads the same stack in two threads merges" {
	run -0 "$BIN/mf-peak" "$DATA/reduce_threads.mft"
	[ "$(stacks)" = "main (/src/mt.c:40);work (/src/mt.c:10) 115
worker_main (/src/mt.c:20);work (/src/mt.c:10) 1000" ]
	[ "$(meta split_threads)" = false ]
	grep -B1 -x 'main (/src/mt.c:40);work (/src/mt.c:10) 115' <<<"$output" | grep -qx '# count=3'
}

@test "a stack deeper than the recorder's maximum starts with <STACK TOO DEEP> and counts" {
	run -0 "$BIN/mf-peak" "$DATA/reduce_deep.mft"
	[ "$(stacks)" = '<STACK TOO DEEP>;recurse (/src/deep.c:7);recurse (/src/deep.c:7) 64
main (/src/deep.c:30);odd\x3bname with space (/src/my dir/odd.c:3) 8' ]
	[ "$(meta shown_bytes)" = 72 ]
}

@test "a ';' in a function name is escaped, so the frame count stays right" {
	run -0 "$BIN/mf-fold" "$DATA/reduce_deep.mft"
	line=$(stacks | grep odd)
	[ "$(tr ';' '\n' <<<"${line% *}" | wc -l)" = 2 ]
}

@test "aggregated and full captures give the same peak and leaks" {
	run -0 "$BIN/mf-peak" "$DATA/reduce_peak.mft"
	full=$output
	run -0 "$BIN/mf-peak" "$DATA/reduce_aggregate.mft"
	[ "$(grep -v '^# total_bytes=' <<<"$full")" = "$output" ]
	run -0 "$BIN/mf-leaks" "$DATA/reduce_peak.mft"
	full=$output
	run -0 "$BIN/mf-leaks" "$DATA/reduce_aggregate.mft"
	[ "$(grep -v '^# total_bytes=' <<<"$full")" = "$output" ]
	[ "$(stacks)" = "main (/src/app.c:30);a (/src/app.c:4) 250" ]
	run -0 "$BIN/mf-peak" --split-threads "$DATA/reduce_peak.mft"
	full=$output
	run -0 "$BIN/mf-peak" --split-threads "$DATA/reduce_aggregate.mft"
	[ "$(grep -v '^# total_bytes=' <<<"$full")" = "$output" ]
	[ "$(stacks)" = "thread 1 (app);main (/src/app.c:30);a (/src/app.c:4) 100
thread 1 (app);main (/src/app.c:30);a (/src/app.c:4);b (/src/app.c:8) 200" ]
}

@test "mf-fold refuses an aggregated capture and says why" {
	run -1 --separate-stderr "$BIN/mf-fold" "$DATA/reduce_aggregate.mft"
	[ "$output" = "" ]
	[ "$stderr" = "mf-fold: $DATA/reduce_aggregate.mft: all allocations need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate" ]
	run -1 --separate-stderr "$BIN/mf-fold" --temporary "$DATA/reduce_aggregate.mft"
	[ "$stderr" = "mf-fold: $DATA/reduce_aggregate.mft: temporary allocations need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate" ]
}

@test "mf-peak --max-memory-records: N records, the highest kept" {
	run -0 "$BIN/mf-peak" "$DATA/reduce_memory.mft"
	[ "$(meta memory | wc -l)" = 25 ]
	for n in 1 2 3 4 7 12 13 24; do
		run -0 "$BIN/mf-peak" --max-memory-records "$n" "$DATA/reduce_memory.mft"
		[ "$(meta memory | wc -l)" = "$n" ]
		meta memory | grep -qx '\[130,9000,18000\]'
		# Still in time order.
		meta memory | tr -d '[' | sort -n -c -t, -k1,1
	done
	run -0 "$BIN/mf-peak" --max-memory-records 4 "$DATA/reduce_memory.mft"
	[ "$(meta memory)" = "[20,840,1680]
[80,1060,2120]
[130,9000,18000]
[240,980,1960]" ]
}

@test "every stack line matches flamegraph.pl's data regex, no metadata line does" {
	for cmd in "mf-peak" "mf-peak --split-threads" "mf-leaks" "mf-fold" "mf-fold --count" \
		   "mf-fold --temporary=5"; do
		for f in reduce_peak reduce_threads reduce_deep reduce_temporary reduce_memory; do
			run -0 $BIN/$cmd "$DATA/$f.mft"
			printf '%s\n' "$output" > out
			"$BIN/mf-invert" out > inv
			for o in out inv; do
				# flamegraph.pl: next unless /^(.*)\s+?(\d+(?:\.\d*)?)$/
				perl -ne 'chomp; if (/^#/) { die "metadata looks like data: $_\n" if /^(.*)\s+?(\d+(?:\.\d*)?)$/ }
					  else { die "not data: $_\n" unless /^(.*)\s+?(\d+(?:\.\d*)?)$/ }' "$o"
				grep -v '^#' "$o" | LC_ALL=C sort -c
			done
		done
	done
}

@test "the output is deterministic" {
	"$BIN/mf-peak" --split-threads "$DATA/reduce_threads.mft" > one
	"$BIN/mf-peak" --split-threads < "$DATA/reduce_threads.mft" > two
	cmp one two
}

@test "gzip input is read transparently" {
	gzip -c "$DATA/reduce_peak.mft" > peak.mft.gz
	run -0 "$BIN/mf-peak" peak.mft.gz
	plain=$output
	run -0 "$BIN/mf-peak" "$DATA/reduce_peak.mft"
	[ "$output" = "$plain" ]
}

@test "mf-fold re-folds folded text: duplicates merge, counts add" {
	run -0 --separate-stderr "$BIN/mf-fold" "$DATA/reduce_refold.folded"
	diff -u - <(echo "$output") <<'EOF'
# format="mf-folded/1"
# reducer="folded"
# value="bytes"
# inverted=false
# split_threads=false
# command="./app"
# shown_bytes=455
# shown_allocations=11
# count=4
<STACK TOO DEEP>;load (/src/load.c:7) 4
# count=3
main (/src/app.c:30);parse (/src/parse.c:10) 101
# count=1
main (/src/app.c:30);parse (/src/parse.c:12) 50
# count=3
main (/src/app.c:31);load (/src/load.c:7) 300
EOF
}

@test "mf-fold --functions drops locations so one function's frames merge" {
	run -0 "$BIN/mf-fold" --functions "$DATA/reduce_refold.folded"
	[ "$(stacks)" = "<STACK TOO DEEP>;load 4
main;load 300
main;parse 151" ]
	[ "$(meta functions_only)" = true ]
	grep -B1 -x 'main;parse 151' <<<"$output" | grep -qx '# count=4'
	run -0 "$BIN/mf-fold" --functions --count "$DATA/reduce_refold.folded"
	[ "$(stacks)" = "<STACK TOO DEEP>;load 4
main;load 3
main;parse 4" ]
	[ "$(meta value)" = '"count"' ]
}

@test "mf-fold --functions on an event stream keeps the thread frame whole" {
	run -0 "$BIN/mf-fold" --functions --split-threads "$DATA/reduce_threads.mft"
	[ "$(stacks)" = "thread 1 (mt);main;work 100
thread 2 (worker);main;work 15
thread 2 (worker);worker_main;work 1000" ]
}

@test "mf-fold re-folds foreign folded text without counts, from stdin too" {
	run -0 --separate-stderr "$BIN/mf-fold" - < "$DATA/reduce_foreign.folded"
	[ "$output" = '# format="mf-folded/1"
# reducer="folded"
# shown_bytes=36
main;load 20
main;load;read 1
main;parse 15' ]
	run -1 --separate-stderr "$BIN/mf-fold" --count "$DATA/reduce_foreign.folded"
	[ "$output" = "" ]
	[ "$stderr" = "mf-fold: $DATA/reduce_foreign.folded:1: expected a '# count=N' line before the stack (--count needs the number of allocations)" ]
}

@test "mf-fold: --temporary and --split-threads need an event stream" {
	run -1 --separate-stderr "$BIN/mf-fold" --temporary "$DATA/reduce_refold.folded"
	[ "$stderr" = "mf-fold: $DATA/reduce_refold.folded: --temporary needs an event stream, and this is folded stacks" ]
	run -1 --separate-stderr "$BIN/mf-fold" --split-threads "$DATA/reduce_refold.folded"
	[ "$stderr" = "mf-fold: $DATA/reduce_refold.folded: --split-threads needs an event stream, and this is folded stacks" ]
	run -1 --separate-stderr "$BIN/mf-fold" --temporary "$DATA/reduce_foreign.folded"
	[ "$stderr" = "mf-fold: $DATA/reduce_foreign.folded: --temporary needs an event stream, and this is folded stacks" ]
}

@test "mf-fold: with --temporary or --split-threads, input that is neither kind is a bad event stream" {
	printf 'garbage\n' > "$BATS_TEST_TMPDIR/bad"
	run -1 --separate-stderr "$BIN/mf-fold" --temporary "$BATS_TEST_TMPDIR/bad"
	[ "$stderr" = "mf-fold: $BATS_TEST_TMPDIR/bad:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream" ]
	run -1 --separate-stderr "$BIN/mf-fold" --split-threads "$BATS_TEST_TMPDIR/bad"
	[ "$stderr" = "mf-fold: $BATS_TEST_TMPDIR/bad:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream" ]
	run -1 --separate-stderr "$BIN/mf-fold" "$BATS_TEST_TMPDIR/bad"
	[ "$stderr" = "mf-fold: $BATS_TEST_TMPDIR/bad:1: expected 'FRAME;FRAME;... VALUE', found no value" ]
}

@test "mf-invert: allocating frames first, callers after, inverted=true" {
	run -0 --separate-stderr "$BIN/mf-invert" "$DATA/reduce_refold.folded"
	diff -u - <(echo "$output") <<'EOF'
# format="mf-folded/1"
# reducer="peak"
# value="bytes"
# inverted=true
# split_threads=false
# command="./app"
# shown_bytes=9
# shown_allocations=9
# count=4
load (/src/load.c:7);<STACK TOO DEEP> 4
# count=3
load (/src/load.c:7);main (/src/app.c:31) 300
# count=3
parse (/src/parse.c:10);main (/src/app.c:30) 101
# count=1
parse (/src/parse.c:12);main (/src/app.c:30) 50
EOF
}

@test "mf-invert merges stacks that become equal" {
	printf 'a;x 1\nb;x 2\nx 4\nx 8\n' > in
	run -0 "$BIN/mf-invert" in
	[ "$output" = '# format="mf-folded/1"
# inverted=true
x 12
x;a 1
x;b 2' ]
}

@test "mf-invert keeps a split-threads thread frame first" {
	run -0 "$BIN/mf-peak" --split-threads "$DATA/reduce_threads.mft"
	printf '%s\n' "$output" > split
	run -0 "$BIN/mf-invert" split
	[ "$(stacks)" = "thread 1 (mt);work (/src/mt.c:10);main (/src/mt.c:40) 100
thread 2 (worker);work (/src/mt.c:10);main (/src/mt.c:40) 15
thread 2 (worker);work (/src/mt.c:10);worker_main (/src/mt.c:20) 1000" ]
}

@test "mf-invert twice gives back the original, byte for byte" {
	for f in reduce_peak reduce_threads reduce_deep reduce_temporary; do
		for opt in "" --split-threads; do
			"$BIN/mf-peak" $opt "$DATA/$f.mft" > orig
			"$BIN/mf-invert" orig > inv
			grep -qx '# inverted=true' inv
			"$BIN/mf-invert" < inv > back
			cmp orig back
		done
	done
	"$BIN/mf-invert" "$DATA/reduce_foreign.folded" | "$BIN/mf-invert" > back
	grep -qx '# inverted=false' back
	[ "$(grep -v '^#' back)" = "$(grep -v '^#' "$DATA/reduce_foreign.folded" | tr '\t' ' ' | tr -d '\r' |
		grep . | LC_ALL=C sort | awk '{ v[$1] += $2 } END { for (s in v) print s, v[s] }' | LC_ALL=C sort)" ]
}

@test "mf-invert refuses an event stream" {
	fails_saying "mf-invert: $DATA/reduce_peak.mft:1: expected folded stacks, found an event stream header (reduce it first: mf-peak, mf-leaks or mf-fold)" \
		"$BIN/mf-invert" "$DATA/reduce_peak.mft"
	[ "$output" = "" ]
}

@test "mf-invert: a malformed stack line names its line" {
	printf '# format="mf-folded/1"\na;b 12\na;b twelve\n' > bad
	fails_saying "mf-invert: bad:3: expected a whole number of at most 20 digits after the stack, found 'twelve'" \
		"$BIN/mf-invert" bad
	[ "$output" = "" ]
}

@test "incomplete capture: output marked truncated, then an error, exit 1" {
	head -n 15 "$DATA/reduce_peak.mft" > cut.mft
	for prog in mf-peak mf-leaks mf-fold; do
		run -1 --separate-stderr "$BIN/$prog" cut.mft
		[ "$stderr" = "$prog: cut.mft: incomplete capture: no end record; the output covers only what was recorded" ]
		grep -qx '# truncated=true' <<<"$output"
	done
	run -1 --separate-stderr "$BIN/mf-peak" cut.mft
	[ "$(stacks)" = "main (/src/app.c:30);a (/src/app.c:4) 100
main (/src/app.c:30);a (/src/app.c:4);b (/src/app.c:8) 200" ]
	[ "$(meta ended)" = "" ]
}

@test "bad input: a malformed record names FILE:LINE" {
	sed 's/^a 1 3 200$/a 1 3 2x0/' "$DATA/reduce_peak.mft" > bad.mft
	fails_saying "mf-peak: bad.mft:15: expected SIZE as a whole number of at most 20 digits, found '2x0'" \
		"$BIN/mf-peak" bad.mft
	[ "$output" = "" ]
	fails_saying "mf-leaks: bad.mft:15: expected SIZE as a whole number of at most 20 digits, found '2x0'" \
		"$BIN/mf-leaks" bad.mft
}

@test "bad input: an undefined stack id" {
	sed 's/^a 1 3 200$/a 1 9 200/' "$DATA/reduce_peak.mft" > bad.mft
	fails_saying "mf-peak: bad.mft:15: undefined stack 9" \
		"$BIN/mf-peak" bad.mft
	[ "$output" = "" ]
	fails_saying "mf-fold: bad.mft:15: undefined stack 9" \
		"$BIN/mf-fold" --temporary bad.mft
}

@test "bad input: a truncated gzip stream" {
	# -n: no name or time in the header; the line of the cut still depends
	# on gzip's exact bytes, so it is derived from them.
	gzip -nc < "$DATA/reduce_peak.mft" | head -c 200 > cut.gz
	fails_saying "mf-peak: cut.gz:$(gzip_cut_line cut.gz): truncated or corrupt gzip input: unexpected end of file" \
		"$BIN/mf-peak" cut.gz
	[ "$output" = "" ]
}

@test "bad input: empty input" {
	: > empty
	fails_saying "mf-peak: empty: empty input: expected an mf event stream (docs/FORMAT.md)" \
		"$BIN/mf-peak" empty
	[ "$output" = "" ]
	fails_saying "mf-fold: -: empty input: expected an mf event stream (docs/FORMAT.md)" \
		"$BIN/mf-fold" < empty
}

@test "bad input: garbage and binary data" {
	printf 'hello world\n' > garbage
	fails_saying "mf-peak: garbage:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream" \
		"$BIN/mf-peak" garbage
	[ "$output" = "" ]
	printf 'PK\003\004\000\000junk\n' > binary
	fails_saying "mf-leaks: binary:1: binary data (a NUL byte) where a text line was expected" \
		"$BIN/mf-leaks" binary
	fails_saying "mf-fold: garbage:1: expected a whole number of at most 20 digits after the stack, found 'world'" \
		"$BIN/mf-fold" garbage
}

@test "bad input: folded stacks given to mf-peak" {
	run -1 --separate-stderr "$BIN/mf-peak" "$DATA/reduce_refold.folded"
	[ "$stderr" = "mf-peak: $DATA/reduce_refold.folded:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream; this looks like folded stacks" ]
}

@test "a missing file" {
	for prog in mf-peak mf-leaks mf-fold mf-invert; do
		run -1 --separate-stderr "$BIN/$prog" no-such-file
		[ "$output" = "" ]
		[ "$stderr" = "$prog: cannot open 'no-such-file': No such file or directory" ]
	done
}

@test "bad flags are usage errors (exit 2)" {
	run -2 --separate-stderr "$BIN/mf-peak" --bogus
	[ "$output" = "" ]
	[ "$stderr" = "mf-peak: unknown option '--bogus'
usage: mf-peak [-f] [-o OUTPUT] [--at MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]" ]
	run -2 --separate-stderr "$BIN/mf-peak" --max-memory-records
	[ "${stderr_lines[0]}" = "mf-peak: option '--max-memory-records' needs an argument" ]
	run -2 --separate-stderr "$BIN/mf-peak" --max-memory-records -1 "$DATA/reduce_peak.mft"
	[ "${stderr_lines[0]}" = "mf-peak: --max-memory-records takes a whole number from 1 to 100000000, not '-1'" ]
	run -2 --separate-stderr "$BIN/mf-leaks" -x
	[ "$stderr" = "mf-leaks: unknown option '-x'
usage: mf-leaks [-f] [-o OUTPUT] [--since MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]" ]
	run -2 --separate-stderr "$BIN/mf-fold" --temporary=x "$DATA/reduce_peak.mft"
	[ "${stderr_lines[0]}" = "mf-fold: --temporary takes a whole number from 0 to 18446744073709551614, not 'x'" ]
	run -2 --separate-stderr "$BIN/mf-invert" --split-threads
	[ "$stderr" = "mf-invert: unknown option '--split-threads'
usage: mf-invert [-f] [-o OUTPUT] [FILE]" ]
	# Several FILEs are the captures of several processes (tests/fork.bats): each must open.
	run -1 --separate-stderr "$BIN/mf-leaks" "$DATA/reduce_peak.mft" no-such-file
	[ "$stderr" = "mf-leaks: cannot open 'no-such-file': No such file or directory" ]
}

@test "--help prints the usage line and exits 0" {
	run -0 "$BIN/mf-peak" --help
	[ "$output" = "usage: mf-peak [-f] [-o OUTPUT] [--at MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]
  --max-memory-records N  keep at most N (1 to 100000000) memory records,
                          each the highest of its run, so the peak is kept" ]
	run -0 "$BIN/mf-leaks" --help
	[ "$output" = "usage: mf-leaks [-f] [-o OUTPUT] [--since MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]
  --max-memory-records N  keep at most N (1 to 100000000) memory records,
                          each the highest of its run, so the peak is kept" ]
	run -0 "$BIN/mf-fold" --help
	[ "$output" = "usage: mf-fold [-f] [-o OUTPUT] [--temporary[=N]] [--count] [--functions] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]
  --max-memory-records N  keep at most N (1 to 100000000) memory records,
                          each the highest of its run, so the peak is kept" ]
	run -0 "$BIN/mf-invert" --help
	[ "$output" = "usage: mf-invert [-f] [-o OUTPUT] [FILE]" ]
}

@test "a full disk is an error (exit 1), never a silent truncation" {
	for prog in mf-peak mf-leaks mf-fold; do
		run -1 --separate-stderr "$BIN/$prog" "$DATA/reduce_peak.mft" -o /dev/full -f
		[ "$stderr" = "$prog: cannot write '/dev/full': No space left on device" ]
	done
	run -1 --separate-stderr bash -c '"$0" "$1" > /dev/full' "$BIN/mf-invert" "$DATA/reduce_refold.folded"
	[ "$stderr" = "mf-invert: cannot write 'standard output': No space left on device" ]
}

@test "-o writes a file, refuses to overwrite without -f, .gz compresses" {
	run -0 "$BIN/mf-peak" -o peak.folded "$DATA/reduce_peak.mft"
	[ "$output" = "" ]
	run -1 --separate-stderr "$BIN/mf-peak" -o peak.folded "$DATA/reduce_peak.mft"
	[ "$stderr" = "mf-peak: 'peak.folded' already exists; use -f to overwrite it" ]
	run -0 "$BIN/mf-peak" -o peak.folded.gz "$DATA/reduce_peak.mft"
	zcat peak.folded.gz | cmp - peak.folded
}

# long_stream N: a capture of N one-byte allocations, then frees of the
# first (older than the reader's ring of recent allocations) and the last.
long_stream() {
	local n=$1
	echo "H 1 full 1 1764127800000 10 ./long"
	printf 'M 1 /src/long\nF 1 1 /src/long.c 9 main\nF 2 1 /src/long.c 3 one\nS 1 0 1\nS 2 1 2\nT 1 1 long\n'
	awk -v n="$n" 'BEGIN { print "a 1 1 1000"; for (i = 2; i <= n; i++) print "a 1 2 1"
		print "f 1 " n - 1; print "f 1 0" }'
	echo "E 5 $n 2 0 0 exit 0"
}

@test "allocations freed long after they were made are found (and only once)" {
	long_stream 100000 > long.mft
	run -0 "$BIN/mf-leaks" long.mft
	[ "$(stacks)" = "main (/src/long.c:9);one (/src/long.c:3) 99998" ]
	run -0 "$BIN/mf-peak" long.mft
	[ "$(stacks)" = "main (/src/long.c:9) 1000
main (/src/long.c:9);one (/src/long.c:3) 99999" ]
	run -0 "$BIN/mf-fold" --temporary=99998 long.mft
	[ "$(stacks)" = "main (/src/long.c:9);one (/src/long.c:3) 1" ]
	run -0 "$BIN/mf-fold" --temporary=99999 long.mft
	[ "$(stacks)" = "main (/src/long.c:9) 1000
main (/src/long.c:9);one (/src/long.c:3) 1" ]
	# Freeing the first block again, from far back and then from near.
	{ long_stream 100000 | sed '$d'; echo "f 1 99999"; } > twice.mft
	run -1 --separate-stderr "$BIN/mf-peak" twice.mft
	[ "$stderr" = "mf-peak: twice.mft:100010: free of allocation 1, which is not live (freed twice?)" ]
	{ long_stream 100000 | sed '$d'; echo "f 1 0"; } > twice.mft
	run -1 --separate-stderr "$BIN/mf-peak" twice.mft
	[ "$stderr" = "mf-peak: twice.mft:100010: free of allocation 100000, which is not live (freed twice?)" ]
}

# churn N: a capture of N allocations each freed at once, from 64 stacks.
churn() {
	echo "H 1 full 1 1764127800000 10 ./churn"
	printf 'M 1 /src/churn\nF 1 1 /src/churn.c 9 main\nT 1 1 churn\n'
	awk -v n="$1" 'BEGIN {
		for (s = 1; s <= 64; s++) printf "F %d 1 /src/churn.c %d f%d\nS %d 0 %d\n", s + 1, s, s, s, s + 1
		for (i = 0; i < n; i++) printf "a 1 %d %d\nf 1 0\n", i % 64 + 1, i % 1000 + 1
		printf "E 1 %d %d 0 0 exit 0\n", n, n }'
}

# peak_rss_kb FILE CMD...: the peak resident memory (VmHWM) of CMD, read
# from /proc once CMD has read all but the last pipe buffer of FILE.
peak_rss_kb() {
	python3 -c 'import subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
with open(sys.argv[1], "rb") as f:
    while True:
        chunk = f.read(1 << 16)
        if not chunk:
            break
        p.stdin.write(chunk)
p.stdin.flush()
with open("/proc/%d/status" % p.pid) as st:
    hwm = [l.split()[1] for l in st if l.startswith("VmHWM:")][0]
p.stdin.close()
sys.exit(p.wait() or print(hwm))' "$@"
}

# bats test_tags=slow
@test "memory does not grow with the number of events" {
	churn 100000 > small.mft
	churn 2000000 > large.mft
	for cmd in mf-peak mf-leaks "mf-fold --temporary"; do
		small=$(peak_rss_kb small.mft $BIN/$cmd)
		large=$(peak_rss_kb large.mft $BIN/$cmd)
		echo "$cmd: peak RSS $small kB for 200000 events, $large kB for 4000000" >&3
		[ "$large" -lt $((small + 1024)) ]
	done
}

# chain N: a capture of one call chain N frames deep, with an allocation of
# one byte at every level: N stack lines of 1 to N frames.
chain() {
	python3 -c 'import sys
n = int(sys.argv[1])
w = sys.stdout.write
w("H 2 full 1 0 10 ./chain\nT 1 1 chain\nF 1 0 ? 0 f\n")
w("".join("S %d %d 1\n" % (i, i - 1) for i in range(1, n + 1)))
w("".join("a 1 %d 1\n" % i for i in range(1, n + 1)))
w("E 1 %d 0 0 0 exit 0\n" % n)' "$1"
}

# check_chain N CMD...: CMD's stack lines are exactly those of chain N
# ("f", "f;f", ... each of 1 byte and 1 allocation), compared as they
# stream; prints CMD's peak RSS in kB.
check_chain() {
	python3 -c 'import resource, subprocess, sys
n = int(sys.argv[1])
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE)
lines = iter(p.stdout)
for line in lines:
    if line == b"# shown_allocations=%d\n" % n:
        break
else:
    sys.exit("no shown_allocations line")
for i in range(1, n + 1):
    want = [b"# count=1\n", b";".join([b"f"] * i) + b" 1\n"]
    got = [next(lines, b""), next(lines, b"")]
    if got != want:
        sys.exit("stack line %d: %r" % (i, got[1][:60]))
if next(lines, None) is not None or p.wait() != 0:
    sys.exit("more output or a failure after the last stack line")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}

# 30,000 stack lines of up to 30,000 frames are 900 MB of output, written
# as it is made: the reducers keep one node per distinct frame path.
# bats test_tags=slow
@test "a 30,000-deep chain: exact stack lines, in bounded memory" {
	chain 30000 > chain.mft
	for cmd in mf-peak mf-leaks mf-fold; do
		kb=$(check_chain 30000 "$BIN/$cmd" chain.mft)
		echo "$cmd: peak RSS $kb kB" >&3
		[ "$kb" -lt $((128 << 10)) ]
	done
}

# Sibling frames where one is a prefix of the other: the order is still
# the bytewise order of whole lines (LC_ALL=C sort), not a walk of frames.
@test "stack lines sort bytewise when one frame is a prefix of its sibling" {
	cat > prefix.mft <<'EOF2'
H 2 full 1 0 10 ./p
T 1 1 p
F 1 0 ? 0 f
F 2 0 ? 0 f x
F 3 0 ? 0 g
S 1 0 1
S 2 0 2
S 3 1 3
S 4 2 3
a 1 1 1
a 1 2 2
a 1 3 3
a 1 4 4
E 1 4 0 0 0 exit 0
EOF2
	run -0 --separate-stderr "$BIN/mf-fold" prefix.mft
	diff -u - <(grep -v '^#' <<<"$output") <<'EOF2'
f 1
f x 2
f x;g 4
f;g 3
EOF2
	[ "$(grep -v '^#' <<<"$output")" = "$(grep -v '^#' <<<"$output" | LC_ALL=C sort)" ]
}

# 100,000 stack lines that invert to one stack, each with one stack_live
# entry of its own slice: they merge into one series of 100,000 entries,
# in time proportional to the entries (it used to be quadratic).
@test "mf-invert: 100,000 duplicate stacks merge their series exactly" {
	python3 -c 'import sys
w = sys.stdout.write
w("# format=\"mf-folded/1\"\n# reducer=\"temporal\"\n")
w("".join("# stack_live=[[%d,1,8]]\n# count=1\nmain;f 8\n" % i for i in range(100000)))' > dup.folded
	{
		echo '# format="mf-folded/1"'
		echo '# reducer="temporal"'
		echo '# inverted=true'
		python3 -c 'print("# stack_live=[" + ",".join("[%d,1,8]" % i for i in range(100000)) + "]")'
		echo '# count=100000'
		echo 'f;main 800000'
	} > want.folded
	run -0 --separate-stderr "$BIN/mf-invert" -o got.folded dup.folded
	[ "$stderr" = "" ]
	cmp want.folded got.folded
}

# The command line joined by spaces cannot tell 'a b' from two arguments,
# nor show an empty one: argv keeps each argument as a JSON string.
@test "argv: each argument is a JSON string, spaces and empty ones kept" {
	printf '%s\n' 'H 2 full 1 0 10 ./app a\x20b  "q"<' 'T 1 1 app' 'F 1 0 ? 0 f' 'S 1 0 1' \
		'a 1 1 5' 'E 1 1 0 0 0 exit 0' > argv.mft
	for cmd in mf-peak mf-leaks mf-fold mf-temporal; do
		run -0 --separate-stderr "$BIN/$cmd" argv.mft
		[ "$(grep -E '^# (command|argv)=' <<<"$output")" = '# command="./app a b  \"q\"\u003c"
# argv=["./app","a b","","\"q\"\u003c"]' ]
	done
	printf '%s\n' 'H 2 full 1 0 10' 'E 1 0 0 0 0 exit 0' > noargv.mft
	run -0 --separate-stderr "$BIN/mf-peak" noargv.mft
	[ "$(grep -E '^# (command|argv)=' <<<"$output")" = '# command=""
# argv=[]' ]
}

# The reader's fast path sums the digits of a field 8 at a time: every
# length from 1 to 19 digits (one stack each, two allocations of that
# many digits), followed by enough lines that each is read in place.
@test "sizes of 1 to 19 digits: exact sums per stack" {
	python3 -c 'import sys
w = sys.stdout.write
w("H 2 full 1 0 10 ./digits\nT 1 1 digits\nM 1 /app\n")
for k in range(1, 20):
    w("F %d 1 ? 0 d%02d\nS %d 0 %d\n" % (k, k, k, k))
for k in range(1, 20):
    w("a 1 %d %d\na 1 %d %s\n" % (k, 10 ** (k - 1), k, "1234567890123456789"[:k]))
w("".join("t %d\n" % i for i in range(1, 10)) + "E 9 38 0 0 0 exit 0\n")' > digits.mft
	want=$(python3 -c 'for k in range(1, 20):
    print("# count=2\nd%02d (app) %d" % (k, 10 ** (k - 1) + int("1234567890123456789"[:k])))')
	run -0 --separate-stderr "$BIN/mf-leaks" digits.mft
	[ "$(grep -E '^(# count=|[^#])' <<<"$output")" = "$want" ]
	meta_is leaked_bytes 2482853211248285311 leaked_allocations 38
	run -0 --separate-stderr "$BIN/mf-fold" digits.mft
	[ "$(stacks)" = "$(grep -v '^#' <<<"$want")" ]
}

# The latest 32768 allocations sit in a ring, older live ones elsewhere:
# frees and an exec (X) reach both, and each ends what it should.
@test "allocations older than the reader's ring: freed and ended by an exec exactly" {
	python3 -c 'import sys
w = sys.stdout.write
w("H 2 full 1 0 10 ./ring\nT 1 1 ring\nM 1 /app\nF 1 1 ? 0 a\nF 2 1 ? 0 b\nS 1 0 1\nS 2 0 2\n")
w("a 1 1 1\n" * 20000 + "a 1 2 3\n" * 20000)
w("f 1 39999\nf 1 0\nt 5\nX 5 ./next\na 1 2 5\nE 6 40001 2 0 0 exit 0\n")' > ring.mft
	run -0 --separate-stderr "$BIN/mf-peak" ring.mft
	[ "$(stacks)" = "a (app) 20000
b (app) 60000" ]
	meta_is peak_bytes 80000 peak_allocations 40000 leaked_bytes 5 leaked_allocations 1
	run -0 --separate-stderr "$BIN/mf-leaks" ring.mft
	[ "$(stacks)" = "b (app) 5" ]
	run -0 --separate-stderr "$BIN/mf-fold" ring.mft
	[ "$(stacks)" = "a (app) 20000
b (app) 60005" ]
	# Only the free of the latest is temporary: an exec's ending is no thread's free.
	run -0 --separate-stderr "$BIN/mf-fold" --temporary ring.mft
	[ "$(stacks)" = "b (app) 3" ]
}

# mf-temporal closes a slice only when time reaches its end, which for an
# interval of 2^63 ms lies past the largest time a capture can hold.
@test "mf-temporal: an interval of 2^63 ms, times up to 2^64 - 1" {
	printf '%s\n' 'H 2 full 1 0 9223372036854775808 ./big' 'T 1 1 big' 'M 1 /app' 'F 1 1 ? 0 a' \
		'S 1 0 1' 'a 1 1 10' 't 9223372036854775807' 'a 1 1 20' 't 9223372036854775808' \
		'f 1 0' 't 18446744073709551615' 'a 1 1 30' 'E 18446744073709551615 3 1 0 0 exit 0' > big.mft
	run -0 --separate-stderr "$BIN/mf-temporal" big.mft
	meta_is stack_live '[[0,2,30],[1,0,10]]' shown_bytes 40
	run -0 --separate-stderr "$BIN/mf-temporal" --leaks big.mft
	meta_is shown_bytes 40 shown_allocations 2
}

# mf-fold --temporary finds the latest allocations' counts in a ring and
# small threads' in an array: an allocation still live when 32768 later
# ones have reused its ring entry, and a thread numbered past 2^16, take
# the hash, with the same result.
@test "mf-fold --temporary: an allocation outlives 40000 others of another thread; thread 70000" {
	python3 -c 'import sys
w = sys.stdout.write
w("H 2 full 1 0 10 ./ring\nT 1 1 one\nT 2 2 two\nT 70000 3 big\nM 1 /app\nF 1 1 ? 0 a\nF 2 1 ? 0 b\nS 1 0 1\nS 2 0 2\n")
w("a 2 2 7\n" + "a 1 1 1\nf 1 0\n" * 40000 + "f 2 40000\n")
w("a 70000 2 9\nf 70000 0\nE 6 40002 40002 0 0 exit 0\n")' > ring.mft
	run -0 --separate-stderr "$BIN/mf-fold" --temporary=0 ring.mft
	[ "$(stacks)" = "a (app) 40000
b (app) 16" ]
	# One allocation of thread 2 between: its block is no longer temporary at 0.
	sed 's/^f 2 40000$/a 2 1 5\nf 2 40001/; s/^E 6 40002 40002 /E 6 40003 40002 /' ring.mft > ring2.mft
	run -0 --separate-stderr "$BIN/mf-fold" --temporary=0 ring2.mft
	[ "$(stacks)" = "a (app) 40000
b (app) 9" ]
	run -0 --separate-stderr "$BIN/mf-fold" --temporary=1 ring2.mft
	[ "$(stacks)" = "a (app) 40000
b (app) 16" ]
}
