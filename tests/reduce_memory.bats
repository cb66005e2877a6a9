#!/usr/bin/env bats
# The memory lines (# memory=[MS,HEAP,RSS]) of every reducer that writes
# them: mf-peak, mf-leaks and mf-fold (all, --temporary) on the hand-written
# event streams of tests/data/, the --max-memory-records cap keeping the
# peak, mf-fold passing folded memory lines through, bad values, and
# mf flamegraph passing the option to whichever reducer runs.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

MF=$BIN/mf

# The memory entries of the report FILE, one per line.
report_memory() {
	grep -o '\["memory","[^"]*"\]' "$1"
}

USAGE_LEAKS="usage: mf-leaks [-f] [-o OUTPUT] [--since MS] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]"
USAGE_FOLD="usage: mf-fold [-f] [-o OUTPUT] [--temporary[=N]] [--count] [--functions] [--split-threads] [--split-processes] [--max-memory-records N] [FILE...]"

@test "mf-leaks: the memory lines come after leaked_* and before shown_*" {
	reduce_peak_writes leaks mf-leaks <<'EOF'
# shown_bytes=250
# shown_allocations=2
# count=2
main (/src/app.c:30);a (/src/app.c:4) 250
EOF
}

@test "mf-leaks: an aggregated capture gives the same memory lines as the full one" {
	run -0 "$BIN/mf-leaks" "$DATA/reduce_aggregate.mft"
	[ "$(meta memory)" = "[5,100,4096]
[10,250,8192]" ]
	run -0 "$BIN/mf-leaks" --split-threads --max-memory-records 1 "$DATA/reduce_aggregate.mft"
	[ "$(meta memory)" = "[10,250,8192]" ]
}

@test "mf-fold: the memory lines come after the recording's metadata and before shown_*" {
	reduce_peak_writes all mf-fold <<'EOF'
# memory=[5,100,4096]
# memory=[10,250,8192]
# shown_bytes=500
# shown_allocations=4
# count=2
main (/src/app.c:30);a (/src/app.c:4) 250
# count=2
main (/src/app.c:30);a (/src/app.c:4);b (/src/app.c:8) 250
EOF
}

@test "mf-fold --temporary, --count and --functions write the memory lines too" {
	for opts in --temporary --temporary=0 "--temporary --count" --count --functions "--split-threads --functions"; do
		run -0 "$BIN/mf-fold" $opts "$DATA/reduce_peak.mft"
		[ "$(grep -v '^# module=' <<<"$output" | grep -A2 '^# thread=')" = '# thread={"thread":1,"tid":4242,"name":"app"}
# memory=[5,100,4096]
# memory=[10,250,8192]' ]
	done
}

@test "the cap: exact lines of mf-leaks and mf-fold, the same as mf-peak's, peak kept" {
	for prog in mf-leaks mf-fold "mf-fold --temporary"; do
		run -0 $BIN/$prog "$DATA/reduce_memory.mft"
		[ "$(meta memory | wc -l)" = 25 ]
		[ "$(meta memory | head -1)" = "[0,100,200]" ]
		[ "$(meta memory | tail -1)" = "[240,980,1960]" ]
		# 25 records in 4 runs of 6, 6, 6, 7: the highest of each.
		run -0 $BIN/$prog --max-memory-records 4 "$DATA/reduce_memory.mft"
		[ "$(meta memory)" = "[20,840,1680]
[80,1060,2120]
[130,9000,18000]
[240,980,1960]" ]
		run -0 $BIN/$prog --max-memory-records 1 "$DATA/reduce_memory.mft"
		[ "$(meta memory)" = "[130,9000,18000]" ]
		# shown_bytes is still written: the sum of the stack lines.
		[ "$(meta shown_bytes)" = "$(grep -v '^#' <<<"$output" | awk '{ s += $NF } END { print s + 0 }')" ]
	done
}

@test "the cap: exactly min(N, records), peak and time order kept, for every N" {
	for n in 1 2 3 5 7 12 13 24 25 26 10000; do
		run -0 "$BIN/mf-peak" --max-memory-records "$n" "$DATA/reduce_memory.mft"
		peak=$(meta memory)
		for prog in mf-leaks mf-fold "mf-fold --temporary=3"; do
			run -0 $BIN/$prog --max-memory-records "$n" "$DATA/reduce_memory.mft"
			# One downsampling for every reducer.
			[ "$(meta memory)" = "$peak" ]
		done
		[ "$(meta memory | wc -l)" = $(( n < 25 ? n : 25 )) ]
		meta memory | grep -qx '\[130,9000,18000\]'
		meta memory | tr -d '[' | sort -n -c -t, -k1,1
	done
}

@test "the cap: when heaps tie, the earlier record stays" {
	cat > tie.mft <<'EOF'
H 1 full 5 1764127800000 10 ./tie
M 1 /src/tie
F 1 1 /src/tie.c 3 main
S 1 0 1
T 1 5 tie
a 1 1 64
m 0 70 1
m 10 70 2
m 20 70 3
m 30 70 4
m 40 70 5
E 50 1 0 0 0 exit 0
EOF
	run -0 "$BIN/mf-leaks" --max-memory-records 1 tie.mft
	[ "$(meta memory)" = "[0,70,1]" ]
	# Five records make more than 2N buckets, so pairs merge: 0 (0 and 10),
	# 20 (20 and 30), 40; the end cuts the three into two runs: 0, then 20
	# (20 and 40).
	run -0 "$BIN/mf-fold" --max-memory-records 2 tie.mft
	[ "$(meta memory)" = "[0,70,1]
[20,70,3]" ]
	# mf-html keeps the same.
	"$BIN/mf-fold" tie.mft > tie.folded
	run -0 "$BIN/mf-html" --max-memory-records 2 tie.folded
	[ "$(grep -o '\["memory","[^"]*"\]' <<<"$output")" = '["memory","[0,70,1]"]
["memory","[20,70,3]"]' ]
}

@test "mf-fold re-folding folded text passes its memory lines through as they are" {
	"$BIN/mf-peak" --max-memory-records 4 "$DATA/reduce_memory.mft" > peak.folded
	for opts in "" --functions --count "--max-memory-records 1"; do
		run -0 "$BIN/mf-fold" $opts peak.folded
		[ "$(meta memory)" = "[20,840,1680]
[80,1060,2120]
[130,9000,18000]
[240,980,1960]" ]
		# In their place: after leaked_allocations, before shown_bytes.
		[ "$(grep -B1 -A4 '^# memory=\[20,' <<<"$output" | sed 's/=.*//')" = "# leaked_allocations
# memory
# memory
# memory
# memory
# shown_bytes" ]
	done
	# From folded text without memory lines, none appear.
	run -0 "$BIN/mf-fold" "$DATA/reduce_refold.folded"
	[ "$(meta memory)" = "" ]
}

@test "--max-memory-records: bad values are usage errors (exit 2), nothing written" {
	for prog in mf-leaks mf-fold; do
		usage=$USAGE_LEAKS
		[ $prog = mf-fold ] && usage=$USAGE_FOLD
		for bad in 0 -1 x 100000001 1e3 ""; do
			run -2 --separate-stderr "$BIN/$prog" -o out.folded --max-memory-records "$bad" "$DATA/reduce_peak.mft"
			[ "$output" = "" ]
			[ "$stderr" = "$prog: --max-memory-records takes a whole number from 1 to 100000000, not '$bad'
$usage" ]
			[ ! -e out.folded ]
		done
		run -2 --separate-stderr "$BIN/$prog" "$DATA/reduce_peak.mft" --max-memory-records
		[ "$stderr" = "$prog: option '--max-memory-records' needs an argument
$usage" ]
		run -0 "$BIN/$prog" --max-memory-records 100000000 "$DATA/reduce_peak.mft"
		[ "$(meta memory | wc -l)" = 2 ]
	done
}

@test "--help gives the usage lines and the one range of --max-memory-records" {
	for prog in mf-peak mf-leaks mf-fold mf-html; do
		run -0 --separate-stderr "$BIN/$prog" --help
		[ "${lines[1]}" = "  --max-memory-records N  keep at most N (1 to 100000000) memory records," ]
		[ "${lines[2]}" = "                          each the highest of its run, so the peak is kept" ]
		[ "${#lines[@]}" = 3 ]
	done
	run -0 --separate-stderr "$BIN/mf-leaks" --help
	[ "${lines[0]}" = "$USAGE_LEAKS" ]
	run -0 --separate-stderr "$BIN/mf-fold" --help
	[ "${lines[0]}" = "$USAGE_FOLD" ]
	run -0 --separate-stderr "$MF" flamegraph --help
	[[ "$output" == *"
      --max-memory-records N keep at most N (1 to 100000000) points of the
                             memory chart, each the highest of its run
"* ]]
}

@test "mf flamegraph --leaks --max-memory-records 5: mf-leaks caps the report's memory chart" {
	gzip -c "$DATA/reduce_memory.mft" > mem.mft.gz
	run -0 --separate-stderr "$MF" flamegraph --leaks --max-memory-records 5 mem.mft.gz
	[ "$output" = "" ]
	[ "$stderr" = "mf: wrote mf-flamegraph-mem.mft.html" ]
	"$BIN/mf-leaks" --max-memory-records 5 mem.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html mf-flamegraph-mem.mft.html
	[ "$(report_memory mf-flamegraph-mem.mft.html)" = '["memory","[20,840,1680]"]
["memory","[50,950,1900]"]
["memory","[130,9000,18000]"]
["memory","[160,1020,2040]"]
["memory","[240,980,1960]"]' ]
	grep -q '\["reducer","\\"leaks\\""\]' mf-flamegraph-mem.mft.html
}

@test "mf flamegraph --temporary-allocations and --inverted pass --max-memory-records on" {
	gzip -c "$DATA/reduce_memory.mft" > mem.mft.gz
	run -0 --separate-stderr "$MF" flamegraph --temporary-allocations --max-memory-records 1 -o t.html mem.mft.gz
	"$BIN/mf-fold" --temporary=1 --max-memory-records 1 mem.mft.gz | "$BIN/mf-html" > expected.html
	cmp expected.html t.html
	[ "$(report_memory t.html)" = '["memory","[130,9000,18000]"]' ]
	run -0 --separate-stderr "$MF" flamegraph --leaks --inverted --split-threads --max-memory-records 2 -o i.html mem.mft.gz
	"$BIN/mf-leaks" --split-threads --max-memory-records 2 mem.mft.gz | "$BIN/mf-invert" | "$BIN/mf-html" > expected.html
	cmp expected.html i.html
	[ "$(report_memory i.html | wc -l)" = 2 ]
}

@test "mf flamegraph --temporal --leaks: mf-temporal untouched, mf-html caps the chart" {
	gzip -c "$DATA/reduce_memory.mft" > mem.mft.gz
	run -0 --separate-stderr "$MF" flamegraph --temporal --leaks --max-memory-records 5 -o t.html mem.mft.gz
	"$BIN/mf-temporal" --leaks mem.mft.gz | "$BIN/mf-html" --max-memory-records 5 > expected.html
	cmp expected.html t.html
}

@test "mf flamegraph --max-memory-records: out of every stage's range is mf's usage error" {
	gzip -c "$DATA/reduce_memory.mft" > mem.mft.gz
	for bad in 0 100000001; do
		run -2 --separate-stderr "$MF" flamegraph --leaks --max-memory-records "$bad" mem.mft.gz
		[ "$output" = "" ]
		[ "${stderr_lines[0]}" = "mf: --max-memory-records takes a whole number from 1 to 100000000, not '$bad'" ]
		[ "${stderr_lines[1]}" = "usage: mf flamegraph [-o OUTPUT] [-f] [--leaks | --temporary-allocation-threshold N |" ]
		[ ! -e mf-flamegraph-mem.mft.html ]
	done
}

# An event stream of $1 memory records with scattered heaps, the highest
# (99999) at record $2.
many_records() {
	awk -v n="$1" -v top="$2" 'BEGIN {
		print "H 1 full 5 1764127800000 10 ./many"
		print "M 1 /src/many"; print "F 1 1 /src/many.c 3 main"; print "S 1 0 1"; print "T 1 5 many"
		print "a 1 1 64"
		for (i = 0; i < n; i++)
			printf "m %d %d %d\n", i * 10, i == top ? 99999 : (i * 7919) % 1000, i
		printf "E %d 1 0 0 0 exit 0\n", n * 10
	}'
}

# bats test_tags=slow
@test "the same N gives the same points from every reducer and from mf-html" {
	many_records 1000 613 > many.mft
	"$BIN/mf-fold" "$DATA/reduce_memory.mft" > few.folded
	"$BIN/mf-fold" many.mft > many.folded
	[ "$(grep -c '^# memory=' many.folded)" = 1000 ]
	for n in 1 2 3 4 7 12 13 24 25 26 100 333 499 500 501 999 1000 1001; do
		for f in reduce_memory:few many:many; do
			mft=${f%%:*}.mft folded=${f##*:}.folded
			[ "$mft" = reduce_memory.mft ] && mft=$DATA/reduce_memory.mft
			run -0 "$BIN/mf-peak" --max-memory-records "$n" "$mft"
			want=$(meta memory)
			total=$(grep -c '^# memory=' "$folded")
			[ "$(wc -l <<<"$want")" = $(( n < total ? n : total )) ]
			grep -qx '\[130,9000,18000\]\|\[6130,99999,613\]' <<<"$want"
			for prog in mf-leaks mf-fold "mf-fold --temporary=2"; do
				run -0 $BIN/$prog --max-memory-records "$n" "$mft"
				[ "$(meta memory)" = "$want" ]
			done
			run -0 --separate-stderr "$BIN/mf-html" --max-memory-records "$n" "$folded"
			[ "$(grep -o '\["memory","[^"]*"\]' <<<"$output" | sed 's/^\["memory","//; s/"\]$//')" = "$want" ]
			[[ "$output" == *"[\"max_memory_records\",\"$n\"]"* ]]
		done
	done
}

@test "--max-memory-records: 1 to 100000000 for every program, 0 and 100000001 refused" {
	gzip -c "$DATA/reduce_memory.mft" > mem.mft.gz
	"$BIN/mf-fold" "$DATA/reduce_memory.mft" > mem.folded
	for prog in mf-peak mf-leaks mf-fold mf-html "mf flamegraph" "mf flamegraph --temporal"; do
		rm -f out.*
		input=mem.mft.gz
		[ "$prog" = mf-html ] && input=mem.folded
		for bad in 0 100000001; do
			run -2 --separate-stderr $BIN/$prog -o out --max-memory-records "$bad" "$input"
			[ "$output" = "" ]
			[ "${stderr_lines[0]}" = "${prog%% *}: --max-memory-records takes a whole number from 1 to 100000000, not '$bad'" ]
			[[ "${stderr_lines[1]}" == "usage: ${prog% --temporal} "* ]]
			[ ! -e out ]
		done
		for good in 1 100000000; do
			run -0 --separate-stderr $BIN/$prog -o "out.$good" --max-memory-records "$good" "$input"
			[ -s "out.$good" ]
		done
		case $prog in
		mf-html|mf\ flamegraph*)
			[ "$(report_memory out.1)" = '["memory","[130,9000,18000]"]' ]
			[ "$(report_memory out.100000000 | wc -l)" = 25 ] ;;
		*)
			[ "$(sed -n 's/^# memory=//p' out.1)" = "[130,9000,18000]" ]
			[ "$(grep -c '^# memory=' out.100000000)" = 25 ] ;;
		esac
	done
}
