#!/bin/bash
# bench/long.sh - a long recording: bench/workload_threads, 4 threads
# churning malloc/free for SECONDS (default 20), run bare, under mf-record
# writing plain text, .gz, .zst and /dev/null, and under heaptrack.
# Prints, per mode, the allocations per second the program made (against
# the bare program's), the capture's size, and the CPU time per event of
# the launcher's two threads: mf-record's (ordering, formatting) and
# mf-output's (compressing, writing, starting the disk's writes); then,
# per capture, the time mf-peak, mf-temporal, mf-leaks and mf-fold take
# against the time merely decompressing it takes (cat, zcat, zstdcat), in
# seconds and in nanoseconds per event.
#
# Targets (issue 17): the .zst capture at most 0.85x the .gz one; mf-peak
# on .zst at most 0.4x its time per event on .gz and within 1.5x of
# zstdcat; recording to a plain file no slower than to .zst.
# The machine must be otherwise idle for the figures to mean anything; on
# a loaded one the cpu figures (user + sys) are the steadier, and the
# summary gives both.
#
#   DURATION=5 bash bench/long.sh	# a shorter run
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
THREADS=4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p build/bench
${CC:-cc} -O2 -g -pthread -o build/bench/workload_threads bench/workload_threads.c
program=(build/bench/workload_threads "$THREADS" 1000000000000 "$DURATION")

# rate FILE: allocations per second from the workload's "rounds N seconds S".
rate() { awk '$1 == "rounds" { printf "%.0f", $2 / $4 }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
size_of() { if [ -f "$1" ]; then stat -c %s "$1"; else echo -; fi; }

echo "4-thread churn, $DURATION s per run"
row='%-16s %12s %7s %9s %7s %14s %12s %12s\n'
printf "$row" mode allocs/s ratio cpu sys capture "mf-record" "mf-output"
"${program[@]}" >/dev/null 2>"$work/run.bare.err"
bare=$(rate "$work/run.bare.err")
printf "$row" bare "$bare" 1.00x - - - - -

# watch_threads JOB FILE: until JOB's child (the launcher) ends, FILE holds
# its threads' /proc stat lines, read every 0.2 s.
watch_threads() {
	local job=$1 file=$2 pid=
	while [ -z "$pid" ] && kill -0 "$job" 2>/dev/null; do
		read -r pid _ 2>/dev/null <"/proc/$job/task/$job/children" || true
		sleep 0.05
	done
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
		cat "/proc/$pid/task/"*/stat >"$file.new" 2>/dev/null && mv "$file.new" "$file"
		sleep 0.2
	done
}
# thread_cpu FILE NAME EVENTS: the CPU of the threads named NAME, in ns per event.
thread_cpu() {
	[ -s "$1" ] || { echo -; return; }
	awk -v name="($2)" -v n="$3" -v hz="$(getconf CLK_TCK)" \
		'$2 == name { t += $14 + $15; seen = 1 } END { if (seen && n) printf "%.1f ns/ev", t / hz * 1e9 / n; else print "-" }' "$1"
}

# record MODE OUT CMD...: run CMD (the program under a recorder), print its row.
record() {
	local mode=$1 out=$2 user sys
	shift 2
	{ TIMEFORMAT='%U %S'; time "$@" >/dev/null 2>"$work/run.$mode.err"; } 2>"$work/run.$mode.time" &
	watch_threads $! "$work/run.$mode.threads"
	wait $! || true
	read -r user sys <"$work/run.$mode.time"
	local r events
	r=$(rate "$work/run.$mode.err")
	# two events a round: the free of a block and the malloc of the next
	events=$(awk '$1 == "rounds" { print 2 * $2 }' "$work/run.$mode.err")
	local main output
	main=$(thread_cpu "$work/run.$mode.threads" mf-record "$events")
	output=$(thread_cpu "$work/run.$mode.threads" mf-output "$events")
	printf "$row" "$mode" "$r" "$(ratio "$r" "$bare")" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1fs", u + s }')" "$(awk -v s="$sys" 'BEGIN { printf "%.1fs", s }')" \
		"$(size_of "$out")" "$main" "$output"
	eval "rate_${mode//[^a-z]/_}=$r"
	eval "total_${mode//[^a-z]/_}='$(awk -v a="${main% ns/ev}" -v b="${output% ns/ev}" 'BEGIN { print a + b }')'"
}

record mf-devnull /dev/null bin/mf-record -f -o /dev/null "${program[@]}"
record mf-plain "$work/cap.mft" bin/mf-record -o "$work/cap.mft" "${program[@]}"
record mf-gz "$work/cap.mft.gz" bin/mf-record -o "$work/cap.mft.gz" "${program[@]}"
record mf-zst "$work/cap.mft.zst" bin/mf-record -o "$work/cap.mft.zst" "${program[@]}"
if command -v heaptrack >/dev/null; then
	record heaptrack "" heaptrack -o "$work/heaptrack" "${program[@]}"
	ht=$(ls "$work"/heaptrack.* 2>/dev/null | head -1)
	# heaptrack writes no count of its own: a "+" line per allocation, "-" per free.
	ht_events=$(zstdcat -f "$ht" 2>/dev/null | grep -c '^[-+] ' || true)
	echo "heaptrack's capture: $(size_of "$ht") bytes (${ht##*.}), $ht_events events," \
		"$(awk -v z="$(size_of "$ht")" -v n="$ht_events" 'BEGIN { printf "%.2f", n ? z / n : 0 }') bytes per event"
else
	echo "heaptrack is not installed: not compared"
fi

# Reading: one capture per format, each with the events of its own run.
echo
printf '%-8s %-12s %9s %9s %10s %9s\n' capture reader seconds ns/event "vs floor" cpu
# read_row CAPTURE FLOOR-CMD: the floor and the reducers on one capture.
# cpu (user + sys, both threads of a reader) is the figure to trust on a
# loaded machine, where the wall time is mostly waiting for a core.
read_row() {
	local cap=$1 floor=$2 events t0 t u s
	events=$("$floor" "$cap" | tail -1 | awk '$1 == "E" { print $3 + $4 }')
	for cmd in "$floor" bin/mf-peak bin/mf-temporal bin/mf-leaks bin/mf-fold; do
		{ TIMEFORMAT='%R %U %S'; time "$cmd" "$cap" >/dev/null; } 2>"$work/t"
		read -r t u s <"$work/t"
		[ "$cmd" = "$floor" ] && t0=$t
		printf '%-8s %-12s %8.2fs %9.1f %10s %8.2fs\n' "${cap##*.}" "${cmd##*/}" "$t" \
			"$(awk -v t="$t" -v n="$events" 'BEGIN { print t * 1e9 / n }')" "$(ratio "$t" "$t0")" \
			"$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
		local name=${cmd##*/}
		eval "read_${cap##*.}_${name//-/_}=$t"
		eval "cpu_${cap##*.}_${name//-/_}=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
	done
	eval "events_${cap##*.}=$events"
}
read_row "$work/cap.mft" cat
read_row "$work/cap.mft.gz" zcat
read_row "$work/cap.mft.zst" zstdcat

echo
per_event() { awk -v t="$1" -v n="$2" 'BEGIN { print t / n }'; }
zst_gz=$(ratio "$(size_of "$work/cap.mft.zst")" "$(size_of "$work/cap.mft.gz")")
echo "zst size / gz size: $zst_gz (target <= 0.85x; each from its own run: compare per event below)"
awk -v z="$(size_of "$work/cap.mft.zst")" -v nz="$events_zst" -v g="$(size_of "$work/cap.mft.gz")" -v ng="$events_gz" \
	'BEGIN { printf "bytes per event: zst %.2f, gz %.2f: %.2fx\n", z / nz, g / ng, (z / nz) / (g / ng) }'
echo "mf-peak per event, zst / gz: $(ratio "$(per_event "$read_zst_mf_peak" "$events_zst")" "$(per_event "$read_gz_mf_peak" "$events_gz")") (target <= 0.4x)," \
	"cpu $(ratio "$(per_event "$cpu_zst_mf_peak" "$events_zst")" "$(per_event "$cpu_gz_mf_peak" "$events_gz")")"
echo "mf-peak / zstdcat on zst: $(ratio "$read_zst_mf_peak" "$read_zst_zstdcat") (target <= 1.5x)," \
	"cpu $(ratio "$cpu_zst_mf_peak" "$cpu_zst_zstdcat")"
echo "recording rate, plain / zst: $(ratio "$rate_mf_plain" "$rate_mf_zst") (target >= 1.00x)"
# The steadier figure on a loaded machine: what the launcher's threads take per event.
echo "launcher cpu per event, plain / zst: $(ratio "$total_mf_plain" "$total_mf_zst") (target <= 1.00x)"
