#!/bin/bash
# bench/attach.sh - what attaching costs (mf-record -p, mf attach): how long
# mf-record -p takes until the tracker is in (issue 15's target: under 2 s),
# and what the attached program pays while recorded, against the same
# program recorded from its start (mf-record PROGRAM) and run natively.
#
# The workload is bench/workload_threads.c's (4 threads, ROUNDS malloc/free
# pairs each), built into bench/workload_attach.c, which waits until the
# tracker has rewritten its GOT entry of malloc and times only the work.
# Prints, per mode, the best of REPEAT runs (default 3): the work's wall
# time and its ratio to the native run; for attaching, also the time from
# starting mf-record -p to the tracker being in (best and worst).
set -euo pipefail
cd "$(dirname "$0")/.."

REPEAT=${REPEAT:-3}
ROUNDS=${ROUNDS:-1000000}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

mkdir -p build/bench
${CC:-cc} -O2 -g -pthread -Ibench -o build/bench/workload_attach bench/workload_attach.c
W=build/bench/workload_attach

field() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# wait_for WORD FILE: until FILE has a line starting with WORD.
wait_for() {
	until grep -q "^$1" "$2" 2>/dev/null; do sleep 0.005; done
}

best() { sort -n | head -1; }
worst() { sort -n | tail -1; }

native=() recorded=() attached=() attach_ms=()
for ((i = 0; i < REPEAT; i++)); do
	"$W" --now 4 "$ROUNDS" >"$work/native"
	native+=("$(field work "$work/native")")

	bin/mf-record -f -o "$work/recorded.mft" "$W" --now 4 "$ROUNDS" >"$work/recorded"
	recorded+=("$(field work "$work/recorded")")

	"$W" 4 "$ROUNDS" >"$work/attached" &
	prog=$!
	pids=("$prog")
	wait_for ready "$work/attached"
	start=$(date +%s%3N)
	bin/mf-record -f -p "$prog" -o "$work/attached.mft" &
	rec=$!
	pids+=("$rec")
	wait_for attached "$work/attached"
	attach_ms+=($(($(field attached "$work/attached") - start)))
	wait "$prog"
	wait "$rec"
	pids=()
	attached+=("$(field work "$work/attached")")
done

n=$(printf '%s\n' "${native[@]}" | best)
r=$(printf '%s\n' "${recorded[@]}" | best)
a=$(printf '%s\n' "${attached[@]}" | best)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'; }
printf '%-22s %8s %7s\n' mode work ratio
printf '%-22s %7sms %7s\n' native "$n" 1.00x
printf '%-22s %7sms %7s\n' "mf-record PROGRAM" "$r" "$(ratio "$r" "$n")"
printf '%-22s %7sms %7s\n' "mf-record -p PID" "$a" "$(ratio "$a" "$n")"
printf 'attaching took %s ms at best, %s ms at worst (target: under 2000 ms)\n' \
	"$(printf '%s\n' "${attach_ms[@]}" | best)" "$(printf '%s\n' "${attach_ms[@]}" | worst)"
