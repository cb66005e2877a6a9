#!/bin/bash
# bench/reduce.sh - how fast mf-peak turns a capture into the peak's folded
# stacks.
#
# The allocation-heavy workload (bench/workload_threads.c) is recorded once
# with mf-record and once with heaptrack.  Then, in the same run:
#   zcat of the mf capture       the floor: just reading the bytes
#   mf-peak on the mf capture     what is measured
#   heaptrack_print -F (peak)     the reference: heaptrack's peak flame graph
# Targets: mf-peak at least 2x faster than heaptrack_print, and within 2x
# of the zcat floor.  Each time is the best of REPEAT runs.
set -euo pipefail
cd "$(dirname "$0")/.."
TIMEFORMAT='%R %U %S'	# bash's time keyword: wall, user, system seconds
THREADS=${THREADS:-4}
ROUNDS=${ROUNDS:-500000}
REPEAT=${REPEAT:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -s bin/mf-peak bin/mf-record bin/libmf-record.so >/dev/null
cc -O2 -g -fno-omit-frame-pointer -pthread -o "$tmp/workload" bench/workload_threads.c

# measure "$@": prints "WALL CPU", the best of REPEAT runs of each (CPU is
# user + system time: on a busy machine it is the steadier of the two).
measure() {
	local best_wall="" best_cpu="" t
	for _ in $(seq "$REPEAT"); do
		{ time "$@" >/dev/null 2>&1; } 2>"$tmp/time"
		t=$(tail -n1 "$tmp/time")
		best_wall=$(awk -v a="$best_wall" -v t="$t" 'BEGIN { split(t, f, " "); print (a == "" || f[1] < a) ? f[1] : a }')
		best_cpu=$(awk -v a="$best_cpu" -v t="$t" 'BEGIN { split(t, f, " "); c = f[2] + f[3]; print (a == "" || c < a) ? c : a }')
	done
	echo "$best_wall $best_cpu"
}

bin/mf-record -f -o "$tmp/w.mft.gz" "$tmp/workload" "$THREADS" "$ROUNDS" >/dev/null 2>&1
heaptrack -o "$tmp/w.heaptrack" "$tmp/workload" "$THREADS" "$ROUNDS" >/dev/null 2>&1
ht=$(ls "$tmp"/w.heaptrack.*)
events=$(zcat "$tmp/w.mft.gz" | grep -c '^[af] ')
printf 'workload: %s threads x %s rounds; mf capture %s bytes gzip, %s events\n' \
	"$THREADS" "$ROUNDS" "$(stat -c %s "$tmp/w.mft.gz")" "$events"

floor=$(measure zcat "$tmp/w.mft.gz")
peak=$(measure bin/mf-peak "$tmp/w.mft.gz")
heap=$(measure heaptrack_print -f "$ht" -p 0 -a 0 -T 0 -l 0 \
	--flamegraph-cost-type peak -F "$tmp/ht.folded")

# Both tools must have found a peak: the outputs are not empty.
bin/mf-peak "$tmp/w.mft.gz" | grep -qv '^#'
[ -s "$tmp/ht.folded" ]

awk -v z="$floor" -v p="$peak" -v h="$heap" -v n="$events" 'BEGIN {
	split(z, Z, " "); split(p, P, " "); split(h, H, " ")
	printf "%-30s %8s %8s\n", "", "wall s", "cpu s"
	printf "%-30s %8.3f %8.3f\n", "zcat of the capture (floor)", Z[1], Z[2]
	printf "%-30s %8.3f %8.3f  %.2f M events/s (cpu)\n", "mf-peak", P[1], P[2], n / P[2] / 1e6
	printf "%-30s %8.3f %8.3f\n", "heaptrack_print -F (peak)", H[1], H[2]
	printf "mf-peak vs heaptrack_print: %.2fx faster (cpu), %.2fx (wall); target >= 2x\n", H[2] / P[2], H[1] / P[1]
	printf "mf-peak vs zcat floor: %.2fx (cpu), %.2fx (wall); target <= 2x\n", P[2] / Z[2], P[1] / Z[1]
}'
