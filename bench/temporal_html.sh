#!/bin/bash
# bench/temporal_html.sh - moving the window of a temporal report on a 60 s
# recording: a synthetic full capture (interval 10 ms: 6,001 slices, 4,000
# stacks, 5 allocations or frees a millisecond, the live set growing and
# shrinking in turns) through mf-temporal [--leaks] and mf-html, then
# tests/browser/temporal-bench.mjs in headless chromium.  Prints, for the
# peak and the leaks page, the time of a window move (values, tree, graph
# and chart) from the script interface and by slider steps, and its ratio
# to the 100 ms target.  Target: every move within 100 ms (ratio < 1).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	(cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi

awk -v MS="${MS:-60000}" -v STACKS="${STACKS:-4000}" -v ALLOCS_MS=5 '
BEGIN {
	srand(7)
	print "H 1 full 1 1764127800000 10 ./synthetic --for 60s"
	print "M 1 /src/synthetic"
	for (i = 1; i <= 2000; i++)
		printf "F %d 1 /src/mod%d/file%d.c %d func_%d\n", i, i % 37, i % 211, 10 + i % 700, i
	# A tree of stacks: each leaf adds 1 to 3 frames below a random node.
	print "S 1 0 1"; ns = 1; depth[1] = 1
	for (l = 0; l < STACKS; l++) {
		p = 1 + int(rand() * ns)
		if (depth[p] > 24) p = 1
		for (k = 1 + int(rand() * 3); k > 0; k--) {
			ns++
			printf "S %d %d %d\n", ns, p, 2 + int(rand() * 1999)
			depth[ns] = depth[p] + 1; p = ns
		}
		leaf[l] = p
	}
	print "T 1 1 synthetic"
	for (t = 0; t < MS; t++) {
		print "t " t
		grow = int(t / 7000) % 2 == 0 ? 0.55 : 0.45
		for (j = 0; j < ALLOCS_MS; j++) {
			if (live > 0 && rand() > grow) {
				x = 1 + int(rand() * live); a = L[x]; L[x] = L[live]; live--
				printf "f 1 %d\n", n - a; heap -= sz[a]; delete sz[a]; frees++
			} else {
				n++; s = int(16 + rand() * rand() * 65536)
				printf "a 1 %d %d\n", leaf[int(rand() * STACKS)], s
				L[++live] = n; sz[n] = s; heap += s
			}
		}
		if (t % 10 == 9)
			printf "m %d %d %d\n", t + 1, heap, heap + 8388608
	}
	printf "E %d %d %d 0 0 exit 0\n", MS, n, frees
}' > "$tmp/syn.mft"

for kind in peak leaks; do
	bin/mf-temporal $([ $kind = leaks ] && echo --leaks) -o "$tmp/$kind" "$tmp/syn.mft"
	bin/mf-html -o "$tmp/$kind.html" "$tmp/$kind"
	printf '%s: %s bytes of page; ' $kind "$(stat -c %s "$tmp/$kind.html")"
	node tests/browser/temporal-bench.mjs "$tmp/$kind.html"
done
