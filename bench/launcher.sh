#!/bin/bash
# bench/launcher.sh - how fast mf-record turns events into the text stream.
#
# rec_churn makes N allocations and N frees per thread; the reference is
# the same program run without recording, in the same run.  Prints the
# wall time of each case, its slowdown against the reference, and events
# (allocations + frees) written per second.  Needs `make test-programs`.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s test-programs >/dev/null
N=${N:-2000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seconds() {
	local start end
	start=$(date +%s.%N)
	"$@" >/dev/null
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}

report() {	# NAME SECONDS EVENTS REFERENCE
	awk -v name="$1" -v t="$2" -v n="$3" -v ref="$4" \
		'BEGIN { printf "%-28s %7.3f s  %6.1fx  %6.2f M events/s\n", name, t, t / ref, n / t / 1e6 }'
}

ref1=$(seconds build/tests/rec_churn "$N" 1)
ref4=$(seconds build/tests/rec_churn "$N" 4)
printf '%-28s %7.3f s  (reference)\n' "unrecorded, 1 thread" "$ref1"
printf '%-28s %7.3f s  (reference)\n' "unrecorded, 4 threads" "$ref4"
t=$(seconds bin/mf-record -f -o "$tmp/1.mft" build/tests/rec_churn "$N" 1)
report "recorded, 1 thread" "$t" $((2 * N)) "$ref1"
t=$(seconds bin/mf-record -f -o "$tmp/4.mft" build/tests/rec_churn "$N" 4)
report "recorded, 4 threads" "$t" $((8 * N)) "$ref4"
t=$(seconds bin/mf-record -f -o "$tmp/1.mft.gz" build/tests/rec_churn "$N" 1)
report "recorded, 1 thread, gzip" "$t" $((2 * N)) "$ref1"
t=$(seconds bin/mf-record --aggregate -f -o "$tmp/a.mft" build/tests/rec_churn "$N" 1)
report "aggregated, 1 thread" "$t" $((2 * N)) "$ref1"

# The launcher's own CPU time (not the program's), when perf is there:
# how many events per CPU-second it can format, whatever the machine load.
if command -v perf >/dev/null 2>&1; then
	for threads in 1 4; do
		ms=$(perf stat --no-inherit -x, -e task-clock bin/mf-record -f -o "$tmp/c.mft" \
			build/tests/rec_churn "$N" "$threads" 2>&1 >/dev/null | awk -F, '/task-clock/ { print $1 }')
		awk -v ms="$ms" -v n=$((2 * N * threads)) -v t="$threads" \
			'BEGIN { printf "launcher CPU, %d thread(s)     %7.3f s  %6.2f M events per CPU-second\n", t, ms / 1000, n / (ms / 1000) / 1e6 }'
	done
fi
