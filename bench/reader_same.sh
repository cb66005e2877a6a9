#!/bin/bash
# bench/reader_same.sh - the reducers of this tree against those of a base
# build, on the same captures: stdout, stderr and exit status must be the
# same bytes.  For a change to the event-stream reader (lib/events*.c,
# lib/input.c) that must change nothing but speed.
#
#   bash bench/reader_same.sh BASE_BIN CAPTURE...
#
# Each CAPTURE is read as it is, and by every reducer with its options:
# mf-peak (--at, --split-threads), mf-leaks (--since, --split-threads),
# mf-fold (--temporary, --count, --split-threads), mf-temporal (--leaks,
# --split-threads).  Prints one line per difference and the count of
# comparisons made; exits 1 if any differed.
set -uo pipefail
cd "$(dirname "$0")/.."
base=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs=(
	"mf-peak" "mf-peak --at 50" "mf-peak --at 1500 --split-threads" "mf-peak --split-threads"
	"mf-leaks" "mf-leaks --since 40" "mf-leaks --split-threads"
	"mf-fold" "mf-fold --temporary" "mf-fold --temporary=3 --split-threads" "mf-fold --count"
	"mf-temporal" "mf-temporal --leaks --split-threads"
)
n=0 bad=0
for cap in "$@"; do
	for run in "${runs[@]}"; do
		read -r prog opts <<<"$run"
		# shellcheck disable=SC2086
		"$base/$prog" $opts "$cap" >"$work/base.out" 2>"$work/base.err"
		echo "exit $?" >>"$work/base.err"
		# shellcheck disable=SC2086
		"bin/$prog" $opts "$cap" >"$work/new.out" 2>"$work/new.err"
		echo "exit $?" >>"$work/new.err"
		sed -i "s|^$base/||; s|^bin/||" "$work/base.err" "$work/new.err"
		n=$((n + 1))
		if ! cmp -s "$work/base.out" "$work/new.out" || ! cmp -s "$work/base.err" "$work/new.err"; then
			bad=$((bad + 1))
			echo "DIFFERS: $run $cap"
			diff "$work/base.err" "$work/new.err" | head -5
		fi
	done
done
echo "$n comparisons, $bad different"
[ "$bad" = 0 ]
