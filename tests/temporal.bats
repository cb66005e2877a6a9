#!/usr/bin/env bats
# mf-temporal: the temporal report's data (docs/TEMPORAL.md).  Hand-written
# captures with exact expected output, a window checker that applies the
# format's rules as the page will, and a two-phase program through the real
# recorder, compared with mf-peak and mf-leaks.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	T=$BIN/mf-temporal
	D=tests/data
	TMP=$BATS_TEST_TMPDIR
}

# views FILE [S E]: what the page shows for a window (helpers.bash).
views() { temporal_views "$@"; }

# window FILE S E: the view of one window as folded stacks with counts.
window() {
	views "$@" | awk -F '\t' '{ print "# count=" $3; print $2 " " $4 }'
}

# writes FIXTURE REPORT [OPTION...]: mf-temporal (with OPTIONs) on
# tests/data/temporal_FIXTURE.mft exits 0, says nothing on standard error
# and writes exactly tests/data/temporal_FIXTURE.REPORT.
writes() {
	local fixture=$1 report=$2
	shift 2
	run -0 --separate-stderr $T "$@" $D/temporal_$fixture.mft
	[ "$output" = "$(cat $D/temporal_$fixture.$report)" ]
	[ "$stderr" = "" ]
}

# refuses NAME CAPTURE MESSAGE: mf-temporal on $TMP/NAME, written with
# printf CAPTURE, exits 1, writes nothing and says MESSAGE.
refuses() {
	printf "$2" >"$TMP/$1"
	run -1 --separate-stderr $T "$TMP/$1"
	[ "$output" = "" ]
	[ "$stderr" = "$3" ]
}

# shows FILE S E VIEW: the window of slices [S, E] of FILE is VIEW, as
# window prints it.
shows() {
	run -0 window "$1" "$2" "$3"
	[ "$output" = "$4" ]
}

# brute FILE [leaks] [split]: replay a capture moment by moment and print
# what every window must show, in the format of views, by the semantics of
# the issue: the live allocations at the first highest moment of the window
# (moments: each slice's start, and right after each allocation), or the
# allocations made in the window and not freed by its end.
brute() {
	awk -v leaks="${2:-0}" -v split_threads="${3:-0}" '
	function moment(s,   k) {
		nm++; ms[nm] = s; mh[nm] = heap
		for (k in keys) { mc[nm, k] = cnt[k]; mb[nm, k] = byt[k] }
	}
	function to_slice(s) { while (cur < s) { cur++; moment(cur) } }
	$1 == "H" { I = $6; moment(0) }
	$1 == "F" { fname[$2] = $6 " (" $4 ":" $5 ")" }
	$1 == "S" { text[$2] = ($3 == 0 ? "" : text[$3] ";") fname[$4] }
	$1 == "T" { tname[$2] = $4 }
	$1 == "t" || $1 == "E" { to_slice(int($2 / I)) }
	$1 == "a" {
		n++
		key = text[$3]
		if (split_threads) key = "thread " $2 " (" tname[$2] ");" key
		keys[key] = 1
		akey[n] = key; asz[n] = $4; amade[n] = cur
		cnt[key]++; byt[key] += $4; heap += $4
		moment(cur)
	}
	$1 == "f" {
		id = ($3 ~ /^[-+]/) ? last + $3 : n - $3; last = id; key = akey[id]
		cnt[key]--; byt[key] -= asz[id]; heap -= asz[id]
		afreed[id] = cur
	}
	END {
		for (S = 0; S <= cur; S++) for (E = S; E <= cur; E++) {
			if (!leaks) {
				best = 0
				for (m = 1; m <= nm; m++)
					if (ms[m] >= S && ms[m] <= E && (!best || mh[m] > mh[best])) best = m
				for (k in keys)
					if (mc[best, k]) printf "%d %d\t%s\t%d\t%d\n", S, E, k, mc[best, k], mb[best, k]
			} else {
				split("", c); split("", b)
				for (id = 1; id <= n; id++)
					if (amade[id] >= S && amade[id] <= E && (!(id in afreed) || afreed[id] > E)) {
						c[akey[id]]++; b[akey[id]] += asz[id]
					}
				for (k in c)
					if (c[k]) printf "%d %d\t%s\t%d\t%d\n", S, E, k, c[k], b[k]
			}
		}
	}' "$1"
}

# random SEED EVENTS: a random capture, 2 threads, 4 stacks, interval 5 ms,
# sizes 0 to 40 bytes, time steps of 0 to 7 ms.
random_capture() {
	awk -v seed="$1" -v events="$2" 'BEGIN {
		srand(seed)
		print "H 1 full 1 0 5 ./random"
		print "M 1 /r"
		print "F 1 1 r.c 1 main"
		for (f = 2; f <= 5; f++) print "F " f " 1 r.c " f " f" f
		print "S 1 0 1"
		for (f = 2; f <= 5; f++) print "S " f " 1 " f
		print "T 1 1 one"
		print "T 2 2 two"
		for (i = 0; i < events; i++) {
			r = rand()
			if (r < 0.25) {
				now += int(rand() * 8); print "t " now
			} else if (r < 0.6 || nlive == 0) {
				live[nlive++] = ++n
				print "a " (1 + int(rand() * 2)) " " (2 + int(rand() * 4)) " " (int(rand() * 5) * 10)
			} else {
				k = int(rand() * nlive)
				print "f " (1 + int(rand() * 2)) " " (n - live[k])
				live[k] = live[--nlive]
				frees++
			}
		}
		print "E " now " " n " " frees + 0 " 0 0 exit 0"
	}'
}

# The stack lines of a folded file, each with its count, without the
# stacks of count 0: what a non-temporal report holds.
stacks() {
	awk '/^# count=/ { c = $0; n = substr($0, 9) + 0; next }
	     /^#/ { next }
	     n { print c; print }' "$1"
}

# meta FILE KEY: the value of a header key.
meta() {
	sed -n "s/^# $2=//p" "$1" | head -1
}

@test "temporal: --help prints the usage on stdout" {
	run -0 --separate-stderr $T --help
	[ "${lines[0]}" = "usage: mf-temporal [--leaks] [--split-threads] [-f] [-o OUTPUT] [FILE]" ]
	[ "$stderr" = "" ]
}

@test "temporal: an unknown option is a usage error" {
	run -2 --separate-stderr $T --bogus $D/temporal_basic.mft
	[ "$output" = "" ]
	[ "$stderr" = "mf-temporal: unknown option '--bogus'
usage: mf-temporal [--leaks] [--split-threads] [-f] [-o OUTPUT] [FILE]" ]
}

@test "temporal: -o without its argument is a usage error" {
	run -2 --separate-stderr $T $D/temporal_basic.mft -o
	[ "$stderr" = "mf-temporal: option '-o' needs an argument
usage: mf-temporal [--leaks] [--split-threads] [-f] [-o OUTPUT] [FILE]" ]
	run -2 --separate-stderr $T -x $D/temporal_basic.mft
	[ "$stderr" = "mf-temporal: unknown option '-x'
usage: mf-temporal [--leaks] [--split-threads] [-f] [-o OUTPUT] [FILE]" ]
}

@test "temporal: two files are a usage error" {
	run -2 --separate-stderr $T $D/temporal_basic.mft $D/temporal_edges.mft
	[ "$stderr" = "mf-temporal: too many arguments: one FILE at most
usage: mf-temporal [--leaks] [--split-threads] [-f] [-o OUTPUT] [FILE]" ]
}

@test "temporal: peak series, exactly (the example of docs/TEMPORAL.md)" {
	writes basic peak
	run -0 diff <(sed -n '/^`mf-temporal` writes:/,/^Slice 0/p' docs/TEMPORAL.md |
		      sed -n 's/^    //p') $D/temporal_basic.peak
}

@test "temporal: leak lifetimes, exactly" {
	writes basic leaks --leaks
}

@test "temporal: stacks of the same text and their series merge, threads merge" {
	writes threads peak
	writes threads leaks --leaks
}

@test "temporal: --split-threads keeps each allocating thread apart, even when another thread frees" {
	writes threads split-peak --split-threads
	writes threads split-leaks --split-threads --leaks
}

@test "temporal: records at 9 ms and 10 ms fall in slices 0 and 1; the first of equal high-water marks wins" {
	writes edges peak
	writes edges leaks --leaks
}

@test "temporal: windows of the documented example" {
	$T $D/temporal_basic.mft > $TMP/peak
	$T --leaks $D/temporal_basic.mft > $TMP/leaks
	shows $TMP/peak 3 5 "# count=1
main (prog.c:10);a (prog.c:3) 100
# count=1
main (prog.c:10);b (prog.c:5) 60"
	shows $TMP/peak 2 2 "# count=1
main (prog.c:10);a (prog.c:3) 100
# count=1
main (prog.c:10);b (prog.c:5) 200"
	shows $TMP/leaks 1 3 "# count=1
main (prog.c:10);b (prog.c:5) 60"
	shows $TMP/leaks 0 4 "# count=1
main (prog.c:10);a (prog.c:3) 100
# count=1
main (prog.c:10);b (prog.c:5) 60"
	shows $TMP/leaks 5 5 ""
}

@test "temporal: the whole window is the stack lines, for every fixture" {
	for f in basic threads edges; do
		for opt in "" --leaks --split-threads "--split-threads --leaks"; do
			$T $opt $D/temporal_$f.mft > $TMP/out
			n=$(meta $TMP/out slices)
			diff <(window $TMP/out 0 $((n - 1))) <(stacks $TMP/out)
		done
	done
}

@test "temporal: every window of random captures shows what a moment-by-moment replay says" {
	for seed in $(seq 1 25); do
		random_capture $seed 80 > $TMP/r.mft
		for leaks in 0 1; do
			for split in 0 1; do
				opt=
				[ $leaks = 1 ] && opt="$opt --leaks"
				[ $split = 1 ] && opt="$opt --split-threads"
				$T $opt $TMP/r.mft > $TMP/r.out
				diff <(views $TMP/r.out | LC_ALL=C sort) \
				     <(brute $TMP/r.mft $leaks $split | LC_ALL=C sort)
			done
		done
	done
	# The checks saw something: windows with stacks, in both kinds.
	[ "$(views $TMP/r.out | wc -l)" -gt 50 ]
	[ "$(grep -c '^# stack_lifetimes=' $TMP/r.out)" -gt 3 ]
}

@test "temporal: a recording without allocations has one empty slice" {
	printf 'H 1 full 7 0 10 ./nothing\nE 0 0 0 0 0 exit 0\n' > $TMP/empty.mft
	run -0 --separate-stderr $T $TMP/empty.mft
	[ "$output" = '# format="mf-folded/1"
# reducer="temporal"
# value="bytes"
# inverted=false
# split_threads=false
# command="./nothing"
# argv=["./nothing"]
# pid=7
# start_ms=0
# duration_ms=0
# interval_ms=10
# ended="exit 0"
# total_allocations=0
# total_frees=0
# total_bytes=0
# untracked_frees=0
# peak_bytes=0
# peak_time_ms=0
# peak_allocations=0
# leaked_bytes=0
# leaked_allocations=0
# slices=1
# slice_peaks=[0]
# shown_bytes=0
# shown_allocations=0' ]
	peak=$output
	run -0 --separate-stderr $T --leaks $TMP/empty.mft
	[ "$output" = "$(sed -e 's/^# reducer="temporal"$/# reducer="temporal-leaks"/' -e '/^# slice_peaks=/d' <<<"$peak")" ]
}

@test "temporal: a long idle stretch costs a number per slice, nothing per stack" {
	{
		sed '/^E /d' $D/temporal_basic.mft
		echo 't 100000'
		echo 'E 100000 4 3 0 0 exit 0'
	} > $TMP/idle.mft
	run -0 $T $TMP/idle.mft
	[ "$(meta <(echo "$output") slices)" = 10001 ]
	[ "$(grep -c '^# stack_live=' <<<"$output")" = 2 ]
	run -0 grep -F '# stack_live=[[0,1,50],[1,0,150],[3,0,-140]]' <<<"$output"
}

@test "temporal: writes to -o FILE, and refuses to overwrite it without -f" {
	run -0 $T -o $TMP/out $D/temporal_basic.mft
	[ "$output" = "" ]
	cmp $TMP/out $D/temporal_basic.peak
	run -1 --separate-stderr $T -o $TMP/out $D/temporal_basic.mft
	[ "$stderr" = "mf-temporal: '$TMP/out' already exists; use -f to overwrite it" ]
	run -0 $T -f -o $TMP/out --leaks $D/temporal_basic.mft
	cmp $TMP/out $D/temporal_basic.leaks
}

@test "temporal: reads gzip and standard input" {
	gzip -c $D/temporal_basic.mft > $TMP/basic.mft.gz
	run -0 $T $TMP/basic.mft.gz
	[ "$output" = "$(cat $D/temporal_basic.peak)" ]
	run -0 $T < $D/temporal_basic.mft
	[ "$output" = "$(cat $D/temporal_basic.peak)" ]
}

@test "temporal: an aggregated capture is refused" {
	refuses agg.mft 'H 1 aggregate 9 0 10 ./agg\nK 0 100\nE 5 1 0 0 0 exit 0\n' \
		"mf-temporal: $TMP/agg.mft: temporal reports need a full capture, and this one is aggregated (mf-record --aggregate keeps only the peak and the leaks); record again without --aggregate"
	run -1 --separate-stderr $T --leaks $TMP/agg.mft
	[ "$output" = "" ]
}

@test "temporal: bad input is an error naming FILE:LINE, and writes nothing" {
	refuses bad.mft 'H 1 full 1 0 10 ./bad\nT 1 1 bad\nf 1 0\n' \
		"mf-temporal: $TMP/bad.mft:3: free of allocation 0 back, but only 0 were made"
	run -1 --separate-stderr $T -o $TMP/never.out $TMP/bad.mft
	[ ! -e $TMP/never.out ]
	printf 'not an event stream\n' > $TMP/bad2.mft
	run -1 --separate-stderr $T $TMP/bad2.mft
	[ "$stderr" = "mf-temporal: $TMP/bad2.mft:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream" ]
}

@test "temporal: allocations adding up to 2^63 bytes are refused" {
	refuses huge.mft 'H 1 full 1 0 10 ./huge\nM 1 /h\nF 1 1 h.c 1 main\nS 1 0 1\nT 1 1 h\na 1 1 9223372036854775807\nf 1 0\na 1 1 1\nE 0 2 1 0 0 exit 0\n' \
		"mf-temporal: $TMP/huge.mft:8: allocations add up to more than 2^63 - 1 bytes, more than the temporal report can count"
	sed -i '/^a 1 1 1$/d; s/^E 0 2 1/E 0 1 1/' $TMP/huge.mft
	run -0 $T --leaks $TMP/huge.mft
	run -0 grep -Fx '# total_bytes=9223372036854775807' <<<"$output"
}

@test "temporal: a time beyond ten million slices is refused" {
	refuses long.mft 'H 1 full 1 0 1 ./long\nt 9999999\nt 10000000\nE 10000000 0 0 0 0 exit 0\n' \
		"mf-temporal: $TMP/long.mft:3: time 10000000 ms is slice 10000000 of 1 ms, and the temporal report holds at most 10000000 slices"
}

@test "temporal: a capture cut short is reported after the output, marked truncated" {
	sed '/^E /d' $D/temporal_basic.mft > $TMP/cut.mft
	run -1 --separate-stderr $T $TMP/cut.mft
	[ "$stderr" = "mf-temporal: $TMP/cut.mft: incomplete capture: no end record; the output covers only what was recorded" ]
	[ "$(meta <(echo "$output") duration_ms)" = 50 ]
	[ "$(meta <(echo "$output") slices)" = 6 ]
	[ "$(meta <(echo "$output") truncated)" = true ]
	run -0 window <(echo "$output") 0 5
	[ "$output" = "# count=1
main (prog.c:10);a (prog.c:3) 100
# count=1
main (prog.c:10);b (prog.c:5) 200" ]
}

# The two-phase program through the real recorder.

record_phases() {
	"$BIN/mf-record" -o $TMP/ph.mft $PROGS/temp_phases
	$T $TMP/ph.mft > $TMP/peak
	$T --leaks $TMP/ph.mft > $TMP/leaks
	N=$(meta $TMP/peak slices)
	# The slice whose high-water mark first lacks phase one's 8 MB.
	K=$(sed -n '/^# stack_live=/{N;N;/phase_one/s/.*\[\([0-9]*\),-1,-8388608\].*/\1/p}' $TMP/peak)
	[ -n "$K" ]
}

@test "temporal: two phases: each window finds its own phase" {
	record_phases
	[ "$(meta $TMP/peak peak_bytes)" = 8388608 ]
	run -0 window $TMP/peak 0 $((K - 1))
	[ "${#lines[@]}" = 2 ]
	[ "${lines[0]}" = "# count=1" ]
	[[ "${lines[1]}" == *";phase_one ("*";hold ("*" 8388608" ]]
	run -0 window $TMP/peak $K $((N - 1))
	[ "${#lines[@]}" = 2 ]
	[ "${lines[0]}" = "# count=1" ]
	[[ "${lines[1]}" == *";phase_two ("*";hold ("*" 4194304" ]]
}

@test "temporal: two phases: leaks of a window are what it made and did not free" {
	record_phases
	run -0 stacks $TMP/leaks
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[1]}" == *";leak_some ("*" 1000" ]]
	# Phase one's 8 MB was made in slice M and freed in slice F.
	read -r M F < <(sed -n 's/^# stack_lifetimes=\[\[\([0-9]*\),\([0-9]*\),1,8388608\]\]$/\1 \2/p' $TMP/leaks)
	[ -n "$F" ]
	run -0 window $TMP/leaks $M $((F - 1))
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[1]}" == *";phase_one ("*";hold ("*" 8388608" ]]
	run -0 window $TMP/leaks $M $F
	[ "$output" = "" ]
	run -0 window $TMP/leaks $((M + 1)) $((F - 1))
	[ "$output" = "" ]
}

@test "temporal: two phases: the whole window is exactly mf-peak's report" {
	record_phases
	"$BIN/mf-peak" $TMP/ph.mft > $TMP/mf-peak
	diff <(window $TMP/peak 0 $((N - 1))) <(stacks $TMP/mf-peak)
	"$BIN/mf-peak" --split-threads $TMP/ph.mft > $TMP/mf-peak-split
	$T --split-threads $TMP/ph.mft > $TMP/peak-split
	diff <(window $TMP/peak-split 0 $((N - 1))) <(stacks $TMP/mf-peak-split)
}

@test "temporal: two phases: the whole window is exactly mf-leaks's report" {
	record_phases
	"$BIN/mf-leaks" $TMP/ph.mft > $TMP/mf-leaks
	diff <(window $TMP/leaks 0 $((N - 1))) <(stacks $TMP/mf-leaks)
}

@test "temporal: a capture of mf-record --aggregate is refused" {
	"$BIN/mf-record" --aggregate -o $TMP/agg.mft $PROGS/temp_phases
	run -1 --separate-stderr $T $TMP/agg.mft
	[ "$output" = "" ]
	[[ "$stderr" == "mf-temporal: $TMP/agg.mft: temporal reports need a full capture, and this one is aggregated"* ]]
}

@test "temporal: a busy multi-threaded recording: the whole window is mf-peak's and mf-leaks's report, per thread" {
	"$BIN/mf-record" -o $TMP/busy.mft.gz $PROGS/temp_busy 0.3 4
	for opt in "" --split-threads; do
		$T $opt $TMP/busy.mft.gz > $TMP/peak
		$T $opt --leaks $TMP/busy.mft.gz > $TMP/leaks
		n=$(meta $TMP/peak slices)
		"$BIN/mf-peak" $opt $TMP/busy.mft.gz > $TMP/mf-peak
		"$BIN/mf-leaks" $opt $TMP/busy.mft.gz > $TMP/mf-leaks
		diff <(window $TMP/peak 0 $((n - 1))) <(stacks $TMP/mf-peak)
		diff <(window $TMP/leaks 0 $((n - 1))) <(stacks $TMP/mf-leaks)
		[ "$(meta $TMP/peak peak_bytes)" = "$(meta $TMP/mf-peak peak_bytes)" ]
		[ "$(meta $TMP/peak peak_time_ms)" = "$(meta $TMP/mf-peak peak_time_ms)" ]
	done
	# Four threads of 32 call sites: the series are not trivial.
	[ "$(grep -c '^thread [1-5] ' $TMP/peak)" -gt 40 ]
}
