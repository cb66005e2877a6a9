#!/bin/bash
# bench/html.sh - mf-html on 100,000 distinct stacks against an SVG flame
# graph with one element per frame (flamegraph.pl's way), made from the same
# stacks in the same run.  Prints the page's size per stack, time to first
# render and zoom redraw time in headless chromium, and the ratios.
# Targets: first render within 1 s, zoom within 100 ms, under 60 bytes per
# stack after the first 100 KB.
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS=${STACKS:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	(cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi

# Distinct stacks over 3,000 functions in 300 files, depth up to 40: each
# new stack leaves an earlier one a few frames up and goes down a new way.
awk -v n="$STACKS" '
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
		printf "%s %d\t# count=%d\n", pre, 16 + int(rand() * 100000), 1 + int(rand() * 9)
	}
}' | LC_ALL=C sort | awk -F'\t' 'BEGIN { print "# format=\"mf-folded/1\""; print "# reducer=\"peak\"" } { print $2; print $1 }' > "$tmp/stacks.folded"

# A sample of the same stacks, small enough for the SVG to render.
SMALL=${SMALL:-10000}
awk -v n="$SMALL" '/^# format|^# reducer/ { print; next } { print; if (++k == 2 * n) exit }' "$tmp/stacks.folded" > "$tmp/small.folded"

start=$(date +%s%N)
bin/mf-html -o "$tmp/report.html" "$tmp/stacks.folded"
build_ms=$(( ($(date +%s%N) - start) / 1000000 ))
bin/mf-html -o "$tmp/small.html" "$tmp/small.folded"
node tests/browser/bench-html.mjs svg "$tmp/stacks.folded" > "$tmp/ref.svg" 2> "$tmp/svg.log"
node tests/browser/bench-html.mjs svg "$tmp/small.folded" > "$tmp/small.svg" 2> "$tmp/small-svg.log"

size() { stat -c %s "$1"; }
echo "stacks: $STACKS distinct; SVG reference: $(cat "$tmp/svg.log"); sample: $SMALL stacks, $(cat "$tmp/small-svg.log")"
echo "mf-html build of $STACKS stacks: $build_ms ms"
awk -v h="$(size "$tmp/report.html")" -v s="$(size "$tmp/ref.svg")" -v n="$STACKS" 'BEGIN {
	printf "html size: %d bytes, %.1f bytes/stack after the first 100 KB (target < 60)\n", h, (h - 102400) / n
	printf "svg size:  %d bytes, %.1f bytes/stack\n", s, s / n
	printf "size ratio html/svg: %.3f\n", h / s
}'

# measure REPORT SVG LABEL: time to first render of both, zoom of the report.
measure() {
	node tests/browser/bench-html.mjs measure "$1" "$2" > "$tmp/m.txt"
	sed "s/^/  $3 /" "$tmp/m.txt"
	local to=""
	grep -q 'timeout' "$tmp/m.txt" && to=" (svg timed out: the ratio is an upper bound)"
	awk -v h="$(get html_first_render_ms)" -v s="$(get svg_first_render_ms)" -v z="$(get html_zoom_ms_median)" \
		-v to="$to" -v l="$3" 'BEGIN {
		printf "%s first render: html %d ms, svg %d ms, ratio html/svg %.3f%s\n", l, h, s, h / s, to
		printf "%s zoom redraw: %.1f ms median\n", l, z
	}'
}
get() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/m.txt"; }
measure "$tmp/small.html" "$tmp/small.svg" "$SMALL stacks:"
measure "$tmp/report.html" "$tmp/ref.svg" "$STACKS stacks:"
echo "targets at $STACKS stacks: first render < 1000 ms, zoom < 100 ms"
