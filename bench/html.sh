#!/bin/bash
# bench/html.sh [KIND...] - mf-html's pages in headless chromium: each
# page's size per stack and time to first render, for each KIND (every
# kind without one):
#   synthetic  100,000 distinct stacks (bench/stacks.awk), against an SVG
#              flame graph with one element per frame (flamegraph.pl's way)
#              made from the same stacks in the same run, and zoom redraw
#   leaves     100,000 distinct stacks, each ending in a frame of its own
#   diff       the differential page of two 100,000-stack inputs
#              (bench/diff.sh times mf-diff on them), beside the plain page
#              of the after side
#   compiler   a real program's pages: clang++ -fsyntax-only of
#              bench/stl.cc (much of the C++ standard library) recorded by
#              mf-record, all its allocations (mf-fold) and its peak
#   temporal   temporal pages (mf-temporal, peak and --leaks): the
#              synthetic 60 s capture of bench/temporal_capture.awk with
#              STACKS leaf stacks, and the clang++ recording of compiler
#              (bench/temporal_html.sh times their window moves)
# A first render's "script" figure is the page's own script times
# (window.mf.state(): parse, decode, build, draw) and, on a temporal page,
# the temporal mode's start (the measure "mf-temporal open"); the rest of
# a first render is the browser's: loading and decoding the page, layout,
# paint, garbage collection.
# Targets: first render within 1 s, zoom within 100 ms, under 60 bytes per
# stack after the first 100 KB, at 100,000 stacks.
set -euo pipefail
cd "$(dirname "$0")/.."
STACKS=${STACKS:-100000}
source bench/pages.bash

size() { stat -c %s "$1"; }
get() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/m.txt"; }

# page_size PAGE STACKS LABEL: bytes per stack, all and after the first 100 KB.
page_size() {
	awk -v h="$(size "$1")" -v n="$2" -v l="$3" 'BEGIN {
		printf "%s page: %d stacks, %d bytes, %.1f bytes/stack, %.1f after the first 100 KB (target < 60)\n", l, n, h, h / n, (h - 102400) / n }'
}

# first PAGE LABEL: its first render, best of 3 loads, and where the time went.
first() {
	node tests/browser/bench-html.mjs first "$1" > "$tmp/m.txt"
	echo "$2 first render: $(get html_first_render_ms) ms (target < 1000); script $(sed -n 's/^html_script_ms //p' "$tmp/m.txt"); $(get html_tree_nodes) tree nodes"
}

# page FOLDED LABEL: the page of FOLDED, its size and first render.
page() {
	bin/mf-html -f -o "$tmp/page.html" "$1"
	page_size "$tmp/page.html" "$(grep -vc '^#' "$1")" "$2"
	first "$tmp/page.html" "$2"
}

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

kind_synthetic() {
	synthetic_folded "$STACKS" 0 > "$tmp/stacks.folded"
	# A sample of the same stacks, small enough for the SVG to render.
	SMALL=${SMALL:-10000}
	awk -v n="$SMALL" '/^# format|^# reducer/ { print; next } { print; if (++k == 2 * n) exit }' "$tmp/stacks.folded" > "$tmp/small.folded"
	start=$(date +%s%N)
	bin/mf-html -o "$tmp/report.html" "$tmp/stacks.folded"
	build_ms=$(( ($(date +%s%N) - start) / 1000000 ))
	bin/mf-html -o "$tmp/small.html" "$tmp/small.folded"
	node tests/browser/bench-html.mjs svg "$tmp/stacks.folded" > "$tmp/ref.svg" 2> "$tmp/svg.log"
	node tests/browser/bench-html.mjs svg "$tmp/small.folded" > "$tmp/small.svg" 2> "$tmp/small-svg.log"
	echo "stacks: $STACKS distinct; SVG reference: $(cat "$tmp/svg.log"); sample: $SMALL stacks, $(cat "$tmp/small-svg.log")"
	echo "mf-html build of $STACKS stacks: $build_ms ms"
	page_size "$tmp/report.html" "$STACKS" synthetic
	awk -v h="$(size "$tmp/report.html")" -v s="$(size "$tmp/ref.svg")" -v n="$STACKS" 'BEGIN {
		printf "svg size:  %d bytes, %.1f bytes/stack\n", s, s / n
		printf "size ratio html/svg: %.3f\n", h / s
	}'
	measure "$tmp/small.html" "$tmp/small.svg" "$SMALL stacks:"
	measure "$tmp/report.html" "$tmp/ref.svg" "$STACKS stacks:"
	echo "targets at $STACKS stacks: first render < 1000 ms, zoom < 100 ms"
}

kind_leaves() {
	synthetic_folded "$STACKS" 1 > "$tmp/leaves.folded"
	page "$tmp/leaves.folded" "distinct-leaf"
}

kind_diff() {
	diff_sides "$STACKS" "$tmp"
	bin/mf-diff -f -o "$tmp/diff.folded" "$tmp/base.folded" "$tmp/new.folded"
	page "$tmp/diff.folded" "diff"
	page "$tmp/new.folded" "plain page of the after side:"
}

# clang++ on bench/stl.cc, recorded once into $tmp/cc.mft.gz (clang runs
# its compiler in its own process, where g++ would start cc1plus; make
# bench installs clang).
record_compiler() {
	[ ! -f "$tmp/cc.mft.gz" ] || return 0
	command -v clang++ >/dev/null || { echo "bench/html.sh: clang++ is missing: run make bench" >&2; return 1; }
	set -- clang++ -std=c++17 -fsyntax-only bench/stl.cc
	start=$(date +%s%N)
	bin/mf-record -o "$tmp/cc.mft.gz" "$@" 2> "$tmp/record.log" || { cat "$tmp/record.log"; return 1; }
	echo "recorded: $* ($(( ($(date +%s%N) - start) / 1000000 )) ms)"
}

kind_compiler() {
	record_compiler
	bin/mf-fold -o "$tmp/all.folded" "$tmp/cc.mft.gz"
	bin/mf-peak -o "$tmp/peak.folded" "$tmp/cc.mft.gz"
	page "$tmp/all.folded" "compiler, all allocations"
	page "$tmp/peak.folded" "compiler, peak"
}

kind_temporal() {
	awk -v MS=60000 -v STACKS="$STACKS" -v ALLOCS_MS=5 -f bench/temporal_capture.awk > "$tmp/syn.mft"
	record_compiler
	for capture in syn cc; do
		for mode in peak leaks; do
			bin/mf-temporal $([ $mode = leaks ] && echo --leaks) -f -o "$tmp/t.folded" "$tmp/$capture".mft*
			page "$tmp/t.folded" "temporal $mode, $([ $capture = syn ] && echo "synthetic ($STACKS leaf stacks)" || echo compiler)"
		done
	done
}

[ $# -gt 0 ] || set -- synthetic leaves diff compiler temporal
for kind in "$@"; do
	case $kind in
	synthetic|leaves|diff|compiler|temporal) echo "-- $kind"; "kind_$kind" ;;
	*) echo "bench/html.sh: unknown page kind '$kind'" >&2; exit 2 ;;
	esac
done
