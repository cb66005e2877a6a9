#!/bin/bash
# bench/record.sh - what recording costs: two allocation-heavy programs run
# natively, under mf-record (plain and gzip capture) and under heaptrack,
# in the same run.  Prints, per program and mode, the best wall time of
# REPEAT runs (default 3) and the CPU time (user + sys, recorder included)
# of that run, each as a ratio to the native run, and the capture's size.
#
#   threads  bench/workload_threads.c: 4 threads, 1M malloc/free pairs
#            each, from four call paths ten frames deep
#   python   python3 with PYTHONMALLOC=malloc building, serializing and
#            parsing a 50000-item JSON document
#
# Targets (README of the recorder): threads <= 3x, python <= 2.0x (with its
# Python frames read at every allocation; 1.8x before them), gzip
# capture no larger than heaptrack's.  Ratios are only meaningful on an
# otherwise idle machine; CPU ratios are steadier than wall ratios when it
# is not.  "shim" is the preloaded library alone, with a reader that only
# counts (build/tests/shim_dump -c, from make test-programs), when built;
# its CPU column is the program's alone, without the reader's.
set -euo pipefail
cd "$(dirname "$0")/.."

REPEAT=${REPEAT:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p build/bench
${CC:-cc} -O2 -g -pthread -o build/bench/workload_threads bench/workload_threads.c
PYTHON=$(command -v /usr/bin/python3 || command -v python3)
cat >"$work/json_doc.py" <<'EOF'
import json
doc = {"items": [{"id": i, "name": "item-%d" % i, "tags": ["t%d" % (i % 7), "x"],
                  "price": i * 0.25, "nested": {"a": [i, i + 1, i + 2], "b": str(i)}}
                 for i in range(50000)]}
text = json.dumps(doc, indent=1)
back = json.loads(text)
print(len(text), len(back["items"]))
EOF

# run_best NAME CMD... - run CMD REPEAT times; set best_wall, best_cpu
# (seconds) from the run with the lowest wall time.
run_best() {
	local i wall user sys
	best_wall= best_cpu=
	for ((i = 0; i < REPEAT; i++)); do
		rm -f "$work"/capture*
		{ TIMEFORMAT='%R %U %S'; time "$@" >"$work/stdout" 2>"$work/stderr"; } 2>"$work/time"
		read -r wall user sys <"$work/time"
		if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best_wall=$wall
			best_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
			mv "$work/stdout" "$work/best_stdout"
		fi
	done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
size_of() { if [ -e "$1" ]; then stat -c %s "$1"; else echo -; fi; }

# bench NAME TARGET CMD... - every mode for one program.
bench() {
	local name=$1 target=$2 native_wall native_cpu mode
	shift 2
	run_best "$@"
	native_wall=$best_wall native_cpu=$best_cpu
	printf '%-8s %-14s %7ss %7s %7ss %7s %12s\n' "$name" native "$native_wall" 1.00x "$native_cpu" 1.00x -
	if [ -x build/tests/shim_dump ]; then
		# The keys mf-record would use (see MF_CLOCK in mf-record(1)).
		if [ "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)" = tsc ]; then
			MF_CLOCK=tsc run_best build/tests/shim_dump -c "$@"
		else
			run_best build/tests/shim_dump -c "$@"
		fi
		best_cpu=$(awk '$1 == "#" && $2 == "cpu" { print $3 }' "$work/best_stdout")
		printf '%-8s %-14s %7ss %7s %7ss %7s %12s\n' "$name" shim "$best_wall" \
			"$(ratio "$best_wall" "$native_wall")" "$best_cpu" "$(ratio "$best_cpu" "$native_cpu")" -
	fi
	for mode in mf-record mf-record-gz heaptrack; do
		case $mode in
		mf-record) run_best bin/mf-record -f -o "$work/capture.mft" "$@"; out=$work/capture.mft ;;
		mf-record-gz) run_best bin/mf-record -f -o "$work/capture.mft.gz" "$@"; out=$work/capture.mft.gz ;;
		heaptrack)
			if ! command -v heaptrack >/dev/null; then
				echo "$name: heaptrack is not installed: not compared"
				continue
			fi
			run_best heaptrack -o "$work/capture" "$@"
			out=$(ls "$work"/capture.* 2>/dev/null | head -1) ;;
		esac
		printf '%-8s %-14s %7ss %7s %7ss %7s %12s\n' "$name" "$mode" "$best_wall" \
			"$(ratio "$best_wall" "$native_wall")" "$best_cpu" "$(ratio "$best_cpu" "$native_cpu")" \
			"$(size_of "$out")"
	done
	echo "$name: target <= $target wall; gzip capture <= heaptrack's"
}

if [ "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)" = tsc ]; then
	echo "events ordered by the time stamp counter (MF_CLOCK=tsc)"
else
	echo "events ordered by the shared counter (MF_CLOCK=counter): the kernel's clocksource is not tsc"
fi
printf '%-8s %-14s %8s %7s %8s %7s %12s\n' program mode wall ratio cpu ratio capture
bench threads 3x build/bench/workload_threads 4 1000000
PYTHONMALLOC=malloc bench python 2.0x "$PYTHON" "$work/json_doc.py"
