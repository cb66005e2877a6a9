#!/usr/bin/env bats
# The reducers end to end, through the real recorder: the three examples of
# memray's flame graph documentation (tests/progs/seed_*.c, same sizes) give
# the flame graphs the documentation describes.  Assertions are on function
# names, from frames written "FUNCTION (FILE:LINE)".

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# record NAME [OPTION...]: record build/tests/seed_NAME into NAME.mft.
record() {
	local name=$1
	shift
	"$BIN/mf-record" -f -o "$name.mft" "$@" "$PROGS/seed_$name" 2>record.err
}

# width MODE FUNCTION FILE: the sum of the values of the stack lines of FILE
# in which FUNCTION is a frame (MODE all), is the last frame (MODE self), or
# is the first frame (MODE root).
width() {
	awk -v mode="$1" -v fn="$2" '
		/^#/ { next }
		{
			v = $NF
			s = $0
			sub(/ [0-9]+$/, "", s)
			n = split(s, fr, ";")
			hit = 0
			for (k = 1; k <= n; k++) {
				f = fr[k]
				sub(/ \(.*\)$/, "", f)
				if (f != fn) continue
				if (mode == "all" || (mode == "self" && k == n) || (mode == "root" && k == 1))
					hit = 1
			}
			if (hit) total += v
		}
		END { print total + 0 }' "$3"
}

@test "simple example: c() and d() allocate the same, under b() and a()" {
	record simple
	"$BIN/mf-peak" simple.mft > peak
	[ "$(width self c peak)" = 100000 ]
	[ "$(width self d peak)" = 100000 ]
	[ "$(width all b peak)" = 200000 ]
	[ "$(width all a peak)" = 200000 ]
	# The frames name the call sites, FUNCTION (FILE:LINE).
	grep -q ';c (/[^;]*/seed_simple.c:[0-9]*) 100000$' peak
}

@test "complete example: g() largest, b() 3.5 times h(), d()'s own part half of e(), missing() absent" {
	record complete
	"$BIN/mf-peak" complete.mft > peak
	[ "$(width self g peak)" = 200000 ]
	# g() is the widest allocating frame.
	widest=$(awk '!/^#/ && $NF > max { max = $NF; line = $0 } END { print line }' peak)
	[[ "$widest" == *";g ("*") 200000" ]]
	# b() holds d (50000) + e (100000) + g (200000), h() holds i (100000):
	# "about four times", 3.5 exactly with the example's sizes.
	[ "$(width all b peak)" = 350000 ]
	[ "$(width all h peak)" = 100000 ]
	[ "$(width self d peak)" = 50000 ]
	[ "$(width self e peak)" = 100000 ]
	[ "$(width self i peak)" = 100000 ]
	# missing() allocated, but freed before the peak.
	[ "$(width all missing peak)" = 0 ]
	"$BIN/mf-fold" complete.mft > all
	[ "$(width self missing all)" = 100000 ]
	"$BIN/mf-fold" --temporary=0 complete.mft > temporary
	[ "$(width self missing temporary)" = 100000 ]
	[ "$(width all g temporary)" = 0 ]
}

@test "inverted example: a() three times a1() at the root, with one frame for a()" {
	record inverted
	"$BIN/mf-peak" inverted.mft > peak
	"$BIN/mf-invert" peak > inv
	grep -qx '# inverted=true' inv
	[ "$(width root a inv)" = 3000000 ]
	[ "$(width root a1 inv)" = 1000000 ]
	# The three calls of a() merge into one root frame.
	[ "$(grep -v '^#' inv | grep -c '^a (')" = 3 ]
	[ "$(grep -v '^#' inv | cut -d';' -f1 | grep '^a (' | sort -u | wc -l)" = 1 ]
	"$BIN/mf-invert" inv | cmp - peak
}

@test "an aggregated recording gives the same peak and leaks as a full one" {
	for name in complete inverted; do
		record $name
		mv $name.mft full.mft
		record $name --aggregate
		head -n1 $name.mft | grep -q '^H 2 aggregate '
		"$BIN/mf-peak" full.mft | sed '/^#/d' > full.peak
		"$BIN/mf-peak" $name.mft | sed '/^#/d' > agg.peak
		cmp full.peak agg.peak
		"$BIN/mf-leaks" full.mft | sed '/^#/d' > full.leaks
		"$BIN/mf-leaks" $name.mft | sed '/^#/d' > agg.leaks
		cmp full.leaks agg.leaks
	done
	# seed_inverted never frees its four blocks: they are its leaks.
	[ "$(width self a agg.leaks)" = 3000000 ]
	[ "$(width self a1 agg.leaks)" = 1000000 ]
	run -0 "$BIN/mf-peak" complete.mft
	# The aggregated capture's peak, the K record's: a number, not empty.
	[ "$(sed -n 's/^# peak_bytes=//p' <<<"$output")" = "$(awk '$1 == "K" { print $3 }' complete.mft)" ]
	grep -qx '# peak_bytes=[1-9][0-9]*' <<<"$output"
	[ "$(sed -n 's/^# shown_bytes=//p' <<<"$output")" = "$(sed -n 's/^# peak_bytes=//p' <<<"$output")" ]
}

@test "the peak output of a real recording feeds flamegraph.pl's regex cleanly" {
	record complete
	for cmd in mf-peak "mf-peak --split-threads" mf-leaks mf-fold "mf-fold --temporary"; do
		$BIN/$cmd complete.mft > out
		perl -ne 'chomp; if (/^#/) { die "metadata looks like data: $_\n" if /^(.*)\s+?(\d+(?:\.\d*)?)$/ }
			  else { die "not data: $_\n" unless /^(.*)\s+?(\d+(?:\.\d*)?)$/ }' out
	done
}

@test "two named threads: split by thread frame, merged without --split-threads" {
	"$BIN/mf-record" -f -o threads.mft "$PROGS/red_threads" 2>record.err
	"$BIN/mf-peak" --split-threads threads.mft > split
	# The workers get numbers 2 and 3 in the order they first allocate,
	# which the scheduler decides.
	alpha=$(sed -n 's/^# thread={"thread":\([23]\),"tid":[0-9]*,"name":"alpha"}$/\1/p' split)
	beta=$((5 - alpha))
	grep -qx "# thread={\"thread\":$beta,\"tid\":[0-9]*,\"name\":\"beta\"}" split
	[ "$(grep -c "^thread $alpha (alpha);.*;worker ([^;]*);allocate ([^;]*) 1000\$" split)" = 1 ]
	[ "$(grep -c "^thread $beta (beta);.*;worker ([^;]*);allocate ([^;]*) 3000\$" split)" = 1 ]
	"$BIN/mf-peak" threads.mft > merged
	[ "$(width self allocate merged)" = 4000 ]
	[ "$(grep -c ';allocate (' merged)" = 1 ]
	run -1 grep '^thread ' merged
}
