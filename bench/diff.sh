#!/bin/bash
# bench/diff.sh - mf-diff of two 100,000-stack inputs against mf-fold
# re-folding both (the same reading and writing without the comparison),
# and the differential page of 100,000 stacks in headless chromium.
# Targets: mf-diff within 2x of the two re-folds; first render within 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS=${STACKS:-100000}
RUNS=${RUNS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	(cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi

# STACKS + STACKS/10 distinct stacks as bench/html.sh makes them; BASE has
# the first STACKS, NEW the last STACKS, with every value changed a little
# (a tenth of the stacks vanish, a tenth appear).
awk -v n="$((STACKS + STACKS / 10))" '
BEGIN {
	srand(42)
	nf = 3000
	for (i = 0; i < nf; i++)
		fn[i] = sprintf("ns%d::Class%d::method_%d(int, std::string const&) (/src/module%d/file%d.cc:%d)", i % 17, i % 211, i, i % 23, i % 307, 10 + i % 900)
	for (s = 0; s < n; s++) {
		if (s < 50) {
			d = 0
			pre = sprintf("main (/src/main.cc:%d)", 10 + s % 5)
		} else {
			p = int(rand() * s)
			pre = stk[p]
			d = dep[p]
			k = int(rand() * 4)
			while (k-- > 0 && d > 1) { sub(/;[^;]*$/, "", pre); d-- }
		}
		add = 1 + int(rand() * 4)
		for (j = 0; j < add && d < 40; j++) { pre = pre ";" fn[int(rand() * nf)]; d++ }
		if (pre in seen) { s--; continue }
		seen[pre] = 1
		stk[s] = pre; dep[s] = d
		printf "%d\t%s\t%d\t%d\n", s, pre, 16 + int(rand() * 100000), 1 + int(rand() * 9)
	}
}' > "$tmp/all.tsv"
side() {
	awk -F'\t' -v lo="$1" -v hi="$2" -v scale="$3" 'BEGIN { srand(7) } $1 >= lo && $1 < hi {
		v = int($3 * (scale ? 0.5 + rand() : 1)); print $2 "\t" v "\t" $4 }' "$tmp/all.tsv" |
		LC_ALL=C sort -t'	' -k1,1 |
		awk -F'\t' -v r="$4" 'BEGIN { print "# format=\"mf-folded/1\""; print "# reducer=\"" r "\"" }
			{ print "# count=" $3; print $1 " " $2 }'
}
side 0 "$STACKS" 0 peak > "$tmp/base.folded"
side "$((STACKS / 10))" "$((STACKS + STACKS / 10))" 1 peak > "$tmp/new.folded"

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

bin/mf-html -o "$tmp/diff.html" "$tmp/diff.folded"
printf 'main 1\n' | bin/mf-html -o "$tmp/warm.html"
size=$(stat -c %s "$tmp/diff.html")
n=$(grep -vc '^#' "$tmp/diff.folded")
awk -v h="$size" -v n="$n" 'BEGIN { printf "diff page: %d bytes, %.1f bytes/stack\n", h, h / n }'
# First render of the diff page and, as the reference of the same run, of
# the plain page of NEW alone (bench/html.sh holds that one to 1 s).
bin/mf-html -o "$tmp/plain.html" "$tmp/new.folded"
node --input-type=module -e '
import { openReport } from "./tests/browser/lib.mjs";
const [diff, plain, warm] = process.argv.slice(1);
async function first(file) {
	let best = Infinity;
	for (let i = 0; i < 3; i++) {
		const r = await openReport(file, { warm });
		best = Math.min(best, (await r.page.evaluate(() => window.mf.state())).firstRenderMs);
		if (r.problems.length) { console.log(r.problems.join("\n")); process.exitCode = 1; }
		await r.close();
	}
	return best;
}
const d = await first(diff), p = await first(plain);
console.log(`first render (best of 3): diff page ${Math.round(d)} ms, plain page of NEW ${Math.round(p)} ms, ratio ${(d / p).toFixed(2)} (target: diff < 1000 ms)`);
' "$tmp/diff.html" "$tmp/plain.html" "$tmp/warm.html"
