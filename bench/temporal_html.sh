#!/bin/bash
# bench/temporal_html.sh - moving the window of a temporal report on a 60 s
# recording: a synthetic full capture (interval 10 ms: 6,001 slices, 4,000
# stacks, 5 allocations or frees a millisecond, the live set growing and
# shrinking in turns) through mf-temporal [--leaks] and mf-html, then
# tests/browser/temporal-bench.mjs in headless chromium.  Prints, for the
# peak and the leaks page, the time of a window move (values, tree, graph
# and chart) from the script interface and by slider steps, and its ratio
# to the 100 ms target.  Target: every move within 100 ms (ratio < 1).
# Then the first render of the peak and the leaks page of the same capture
# with FIRST_STACKS leaf stacks (100,000 unless set; 0 leaves it out), best
# of 3: target within 1 s.  With BASE=DIR (a build's bin directory, e.g. of
# the commit before a change) its pages are loaded in turns with these and
# the same-run ratio printed (the machine's load moves both alike).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	(cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi

awk -v MS="${MS:-60000}" -v STACKS="${STACKS:-4000}" -v ALLOCS_MS=5 -f bench/temporal_capture.awk > "$tmp/syn.mft"

for kind in peak leaks; do
	bin/mf-temporal $([ $kind = leaks ] && echo --leaks) -o "$tmp/$kind" "$tmp/syn.mft"
	bin/mf-html -o "$tmp/$kind.html" "$tmp/$kind"
	printf '%s: %s bytes of page; ' $kind "$(stat -c %s "$tmp/$kind.html")"
	node tests/browser/temporal-bench.mjs "$tmp/$kind.html"
done

[ "${FIRST_STACKS:-100000}" -gt 0 ] || exit 0
awk -v MS="${MS:-60000}" -v STACKS="${FIRST_STACKS:-100000}" -v ALLOCS_MS=5 -f bench/temporal_capture.awk > "$tmp/big.mft"
for kind in peak leaks; do
	bin/mf-temporal $([ $kind = leaks ] && echo --leaks) -o "$tmp/big-$kind" "$tmp/big.mft"
	bin/mf-html -o "$tmp/first-$kind.html" "$tmp/big-$kind"
	pages=("$tmp/first-$kind.html")
	if [ -n "${BASE:-}" ]; then
		"$BASE/mf-html" -o "$tmp/base-$kind.html" "$tmp/big-$kind"
		pages=("$tmp/base-$kind.html" "$tmp/first-$kind.html")
	fi
	printf '%s first render, %s stacks:\n' $kind "$(grep -vc '^#' "$tmp/big-$kind")"
	node tests/browser/temporal-bench.mjs first "${pages[@]}" | sed 's/^/  /'
done
