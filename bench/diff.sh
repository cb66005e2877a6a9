#!/bin/bash
# bench/diff.sh - mf-diff of two 100,000-stack inputs against mf-fold
# re-folding both (the same reading and writing without the comparison);
# the differential page of such inputs is bench/html.sh's "diff".
# Target: mf-diff within 2x of the two re-folds.
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS=${STACKS:-100000}
RUNS=${RUNS:-3}
source bench/pages.bash
diff_sides "$STACKS" "$tmp"

# best MS of RUNS runs of the command.
best() {
	local b=0 t
	for _ in $(seq "$RUNS"); do
		t=$(date +%s%N)
		"$@"
		t=$(( ($(date +%s%N) - t) / 1000000 ))
		if [ "$b" = 0 ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}
refold_both() {
	bin/mf-fold -f -o "$tmp/b.out" "$tmp/base.folded"
	bin/mf-fold -f -o "$tmp/n.out" "$tmp/new.folded"
}
diff_both() { bin/mf-diff -f -o "$tmp/diff.folded" "$tmp/base.folded" "$tmp/new.folded"; }
fold_ms=$(best refold_both)
diff_ms=$(best diff_both)
echo "inputs: $STACKS stacks each, $(grep -vc '^#' "$tmp/diff.folded") in the diff"
awk -v d="$diff_ms" -v f="$fold_ms" 'BEGIN {
	printf "mf-diff: %d ms; mf-fold of both: %d ms; ratio %.2f (target <= 2)\n", d, f, d / f }'
