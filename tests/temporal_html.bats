#!/usr/bin/env bats
# The temporal report page: mf-temporal's output through mf-html, a chart
# over time with sliders choosing the window the flame graph shows
# (docs/REPORT.md, "The temporal mode").  The page is driven in headless
# chromium by tests/browser/temporal.mjs, one check per @test; the windows
# it shows are compared with tests/helpers.bash temporal_views, the rules of
# docs/TEMPORAL.md written in awk.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export R="$BATS_FILE_TMPDIR"
	for f in basic edges threads; do
		"$BIN/mf-temporal" "$DATA/temporal_$f.mft" > "$R/$f.peak"
		"$BIN/mf-temporal" --leaks "$DATA/temporal_$f.mft" > "$R/$f.leaks"
	done
	"$BIN/mf-temporal" --split-threads "$DATA/temporal_threads.mft" > "$R/threads.split-peak"
	"$BIN/mf-temporal" --leaks --split-threads "$DATA/temporal_threads.mft" > "$R/threads.split-leaks"
	"$BIN/mf-invert" "$R/basic.peak" > "$R/basic.inverted-peak"
	"$BIN/mf-invert" "$R/basic.leaks" > "$R/basic.inverted-leaks"
	for f in "$R"/*.*peak "$R"/*.*leaks; do
		"$BIN/mf-html" -o "$f.html" "$f"
	done
	# tests/progs/temp_phases as recorded on an idle machine, its times
	# written down: a live recording's phases move with the machine's load,
	# and the checks name slices (docs/TEMPORAL.md's rules are the same).
	"$BIN/mf-temporal" "$DATA/temporal_phases.mft" > "$R/ph.peak"
	"$BIN/mf-temporal" --leaks "$DATA/temporal_phases.mft" > "$R/ph.leaks"
	"$BIN/mf-html" -o "$R/ph.peak.html" "$R/ph.peak"
	"$BIN/mf-html" -o "$R/ph.leaks.html" "$R/ph.leaks"
	"$BIN/mf-html" --max-memory-records 5 -o "$R/ph.max5.html" "$R/ph.peak"
}

setup() {
	cd "$ROOT"
}

# browser CHECK REPORT [#FRAGMENT] [ARGS...]
browser() {
	browser_ready || return 1
	run --separate-stderr node tests/browser/temporal.mjs "$@"
	[ -n "$stderr" ] && echo "$stderr"
	[ "$status" -eq 0 ]
}

need_phases() {
	[ -f "$R/ph.peak.html" ]
}

meta() { sed -n "s/^# $2=//p" "$1"; }

# ---------------------------------------------------------------- windows

# views NAME: every window of the page against temporal_views of its file.
views() {
	browser views "$R/$1.html"
	diff <(temporal_views "$R/$1") <(printf '%s\n' "$output")
}

# bats test_tags=browser
@test "temporal page: every window of the documented example, peak" {
	views basic.peak
	# The example's own windows (docs/TEMPORAL.md): [3, 5] is a 100, b 60.
	[[ "$output" == *$'3 5\tmain (prog.c:10);a (prog.c:3)\t1\t100\n3 5\tmain (prog.c:10);b (prog.c:5)\t1\t60'* ]]
	[[ "$output" == *$'0 5\tmain (prog.c:10);a (prog.c:3)\t1\t100\n0 5\tmain (prog.c:10);b (prog.c:5)\t1\t200'* ]]
}

# bats test_tags=browser
@test "temporal page: every window of the documented example, leaks" {
	views basic.leaks
	[[ "$output" == *$'\n1 3\tmain (prog.c:10);b (prog.c:5)\t1\t60\n'* ]]
	[[ "$output" == *$'\n0 4\tmain (prog.c:10);a (prog.c:3)\t1\t100\n0 4\tmain (prog.c:10);b (prog.c:5)\t1\t60\n'* ]]
}

# bats test_tags=browser
@test "temporal page: every window of allocations on slice edges, peak and leaks" {
	views edges.peak
	views edges.leaks
}

# bats test_tags=browser
@test "temporal page: every window of threads, joined and split" {
	views threads.peak
	views threads.leaks
	views threads.split-peak
	views threads.split-leaks
}

# bats test_tags=browser
@test "temporal page: every window of an inverted report" {
	grep -q '^# inverted=true$' "$R/basic.inverted-peak"
	views basic.inverted-peak
	views basic.inverted-leaks
}

# bats test_tags=browser
@test "temporal page: window edges are whole slices, from the fragment" {
	browser edges "$R/edges.peak.html" '#from=19&to=20'
}

# bats test_tags=browser
@test "temporal page: malformed series: the page says so and shows the whole recording" {
	sed 's/^# stack_live=\[\[0,1,50\],\[1,0,150\],\[3,0,-140\]\]$/# stack_live=[[0,1,50],[1,0,150],[6,0,-140]]/' \
		"$R/basic.peak" > "$R/bad.peak"
	run -1 cmp -s "$R/basic.peak" "$R/bad.peak"
	"$BIN/mf-html" -o "$R/bad.html" "$R/bad.peak"
	browser bad "$R/bad.html"
}

# bats test_tags=browser
@test "temporal page: slices of two billion are refused, the page works" {
	sed 's/^# slices=.*/# slices=2000000000/' "$R/basic.leaks" > "$R/huge.leaks"
	! cmp -s "$R/basic.leaks" "$R/huge.leaks" || false
	"$BIN/mf-html" -o "$R/huge.html" "$R/huge.leaks"
	browser hugeslices "$R/huge.html"
}

# ------------------------------------------------------- the two phases

# bats test_tags=browser
@test "temporal page: two phases: whole window is phase one, phase two's window is phase two" {
	need_phases
	browser phases "$R/ph.peak.html"
}

# bats test_tags=browser
@test "temporal page: two phases: the sliders, by keyboard and mouse, and a drag on the chart" {
	need_phases
	browser sliders "$R/ph.peak.html"
}

# bats test_tags=browser
@test "temporal page: two phases: the URL fragment restores a window, with a zoom" {
	need_phases
	N=$(meta "$R/ph.peak" slices)
	K=$(meta "$R/ph.peak" slice_peaks | tr -d '[]' | tr , '\n' | grep -n '^4194304$' | head -1 | cut -d: -f1)
	browser fragment "$R/ph.peak.html" "#from=$(((K - 1) * 10))&to=$(((N - 1) * 10))"
}

# bats test_tags=browser
@test "temporal page: two phases, leaks: windows made and freed exactly" {
	need_phases
	read -r M F < <(sed -n 's/^# stack_lifetimes=\[\[\([0-9]*\),\([0-9]*\),1,8388608\]\]$/\1 \2/p' "$R/ph.leaks")
	[ -n "$F" ]
	browser leaks "$R/ph.leaks.html" '' "$M" "$F"
}

# bats test_tags=browser
@test "temporal page: --max-memory-records 5 draws 5 points and keeps the true peak" {
	need_phases
	browser maxpoints "$R/ph.max5.html"
}

# bats test_tags=browser
@test "temporal page: the whole window is exactly the non-temporal report" {
	need_phases
	# The page starts on the whole recording, and mf-html draws the stack
	# lines as they are: the same lines as mf-peak's and mf-leaks's.
	diff <(grep -v '^#' "$R/ph.peak" | grep -v ' 0$') <("$BIN/mf-peak" "$DATA/temporal_phases.mft" | grep -v '^#')
	diff <(grep -v '^#' "$R/ph.leaks" | grep -v ' 0$') <("$BIN/mf-leaks" "$DATA/temporal_phases.mft" | grep -v '^#')
	for f in ph.peak ph.leaks; do
		E=$(($(meta "$R/$f" slices) - 1))
		browser views "$R/$f.html" '' 0 $E
		[ "${#lines[@]}" = 1 ]
		diff <(temporal_views "$R/$f" 0 $E) <(printf '%s\n' "$output")
	done
	[[ "$output" == *";leak_some (/"*$'\t1\t1000' ]]
}

# ------------------------------------------------- mf-html --max-memory-records

@test "mf-html --max-memory-records keeps the highest heap of each run of records" {
	printf '# memory=[%s]\n' 10,1,7 20,5,1 30,2,9 40,3,3 50,3,2 60,9,1 70,1,1 > "$R/mem.folded"
	echo 'main 1' >> "$R/mem.folded"
	run -0 --separate-stderr "$BIN/mf-html" --max-memory-records 3 "$R/mem.folded"
	[[ "$output" == *'"meta":[["memory","[20,5,1]"],["memory","[40,3,3]"],["memory","[60,9,1]"],["max_memory_records","3"]],'* ]]
	run -0 --separate-stderr "$BIN/mf-html" --max-memory-records 7 "$R/mem.folded"
	[[ "$output" == *'["memory","[70,1,1]"],["max_memory_records","7"]],'* ]]
	run -0 --separate-stderr "$BIN/mf-html" "$R/mem.folded"
	[[ "$output" == *'["memory","[70,1,1]"]],'* ]]
	[[ "$(grep -o '{"title".*' <<<"$output")" != *max_memory_records* ]]
}

@test "mf-html --max-memory-records: a malformed record stays for the page to report" {
	printf '# memory=[1,x,2]\n# memory=[2,3,4]\nmain 1\n' > "$R/memx.folded"
	run -0 --separate-stderr "$BIN/mf-html" --max-memory-records 1 "$R/memx.folded"
	[[ "$output" == *'"meta":[["memory","[1,x,2]"],["memory","[2,3,4]"],["max_memory_records","1"]],'* ]]
}

@test "mf-html --max-memory-records: usage errors" {
	run -2 --separate-stderr "$BIN/mf-html" --max-memory-records 0 "$R/basic.peak"
	[ "${stderr_lines[0]}" = "mf-html: --max-memory-records takes a whole number from 1 to 100000000, not '0'" ]
	[ "${stderr_lines[1]}" = "usage: mf-html [-o FILE] [-f] [--title TEXT] [--hide REGEX]... [--max-memory-records N] [FILE]" ]
	run -2 --separate-stderr "$BIN/mf-html" --max-memory-records x "$R/basic.peak"
	[ "${stderr_lines[0]}" = "mf-html: --max-memory-records takes a whole number from 1 to 100000000, not 'x'" ]
	run -2 --separate-stderr "$BIN/mf-html" "$R/basic.peak" --max-memory-records
	[ "${stderr_lines[0]}" = "mf-html: option '--max-memory-records' needs an argument" ]
}

# ------------------------------------------------------ mf flamegraph

@test "mf flamegraph --temporal [--leaks]: the same page as the pipeline" {
	cd "$R"
	run -0 --separate-stderr "$BIN/mf" flamegraph --temporal -o t.html "$DATA/temporal_basic.mft"
	[ "$stderr" = "mf: wrote t.html" ]
	"$BIN/mf-temporal" "$DATA/temporal_basic.mft" | "$BIN/mf-html" > expected.html
	cmp expected.html t.html
	run -0 --separate-stderr "$BIN/mf" flamegraph --temporal --leaks --split-threads -o tl.html "$DATA/temporal_threads.mft"
	"$BIN/mf-temporal" --leaks --split-threads "$DATA/temporal_threads.mft" | "$BIN/mf-html" > expected.html
	cmp expected.html tl.html
}

# bats test_tags=browser
@test "mf flamegraph --temporal --inverted: mf-invert keeps the series, every window survives" {
	cd "$R"
	run -0 --separate-stderr "$BIN/mf" flamegraph --temporal --inverted -o ti.html "$DATA/temporal_basic.mft"
	"$BIN/mf-temporal" "$DATA/temporal_basic.mft" | "$BIN/mf-invert" | "$BIN/mf-html" > expected.html
	cmp expected.html ti.html
	grep -q '"stack_live","\[\[0,1,50\],\[1,0,150\],\[3,0,-140\]\]",1\]' ti.html
	cd "$ROOT"
	browser views "$R/ti.html"
	diff <(temporal_views "$R/basic.inverted-peak") <(printf '%s\n' "$output")
}

# bats test_tags=browser
@test "mf flamegraph --temporal --max-memory-records goes to mf-html" {
	need_phases
	cd "$R"
	run -0 --separate-stderr "$BIN/mf" flamegraph --temporal --max-memory-records 5 -o tm.html "$DATA/temporal_phases.mft"
	"$BIN/mf-temporal" "$DATA/temporal_phases.mft" | "$BIN/mf-html" --max-memory-records 5 > expected.html
	cmp expected.html tm.html
	cd "$ROOT"
	browser maxpoints "$R/tm.html"
}

@test "mf flamegraph --temporal refuses temporary allocations" {
	run -2 --separate-stderr "$BIN/mf" flamegraph --temporal --temporary-allocations "$DATA/temporal_basic.mft"
	[ "${stderr_lines[0]}" = "mf: --temporal cannot show temporary allocations" ]
	run -2 --separate-stderr "$BIN/mf" flamegraph --temporal --temporary-allocation-threshold 3 "$DATA/temporal_basic.mft"
	[ "${stderr_lines[0]}" = "mf: --temporal cannot show temporary allocations" ]
}

# big_temporal FILE [LINE...]: a temporal report of 1,000 stacks (a packed
# page), each stack's stack_live [[1,1,100],[2,-1,-100]] (at the peak, in
# slice 1, one allocation of 100 bytes), or LINE for the stacks 0, 1, ...
# (for stack i the i-th LINE, when given).
big_temporal() {
	local out=$1
	shift
	printf '# format="mf-folded/1"\n# reducer="temporal"\n# slices=4\n# interval_ms=10\n'
	printf '# slice_peaks=[5,100,0,7]\n# memory=[10,5,4096]\n# memory=[20,100,8192]\n'
	for i in $(seq 0 999); do
		line='[[1,1,100],[2,-1,-100]]'
		[ $# -eq 0 ] || { line=$1; shift; }
		printf '# stack_live=%s\n# count=1\nmain;f%d 100\n' "$line" "$i"
	done
} > "$1"

@test "mf-html packs a large page's memory records, slice_peaks and per-stack series (docs/REPORT.md)" {
	cd "$BATS_TEST_TMPDIR"
	big_temporal big
	"$BIN/mf-html" -o big.html big
	grep -q '"meta":\[\["format","\\"mf-folded/1\\""\],\["reducer","\\"temporal\\""\],\["slices","4"\],\["interval_ms","10"\]\],"series":{' big.html
	# memory [10,5,4096] [20,100,8192]: Z(10) Z(5) Z(4096), Z(10) Z(95) Z(4096);
	# slice_peaks: Z(5) Z(95) Z(-100) Z(7); a line: stack delta, 2 entries,
	# Z(1) then the sums Z(1) Z(100), Z(1) Z(0) Z(0).
	grep -q '"series":{"memory":"7-US%7U-US%","slice_peaks":"-U-U61","stack_live":"#%%%U7%##$%%%U7%##$%%%U7%##' big.html
	[ "$(grep -o '%%%U7%##' big.html | wc -l)" = 1000 ]
	run ! grep -q '"stack_live","\|"memory","\|"slice_peaks","' big.html
	# --leaks: Z(MADE) Z(FREED-MADE) Z(COUNT) Z(BYTES).
	sed -e 's/"temporal"/"temporal-leaks"/' -e '/slice_peaks/d' -e 's/^# stack_live=.*/# stack_lifetimes=[[1,4,2,100]]/' big > leaks
	"$BIN/mf-html" -o leaks.html leaks
	grep -q '"series":{"memory":"7-US%7U-US%","stack_lifetimes":"#$%)'"'"'U7$$%)'"'"'U7' leaks.html
}

@test "mf-html leaves in meta what it cannot pack exactly, as a small page has it" {
	cd "$BATS_TEST_TMPDIR"
	# A line with a space, -0, a leading zero, a number of 2^51, an entry of
	# the wrong width, running sums past 2^51: each stays raw; the others pack.
	big_temporal odd '[[1, 1,100]]' '[[1,-0,5]]' '[[1,01,5]]' '[[1,1,2251799813685248]]' '[[1,1]]' \
		'[[1,1,2251799813685247],[2,0,1]]' '[[1,1,2251799813685247]]'
	"$BIN/mf-html" -o odd.html odd
	for i in 0 1 2 3 4 5; do
		grep -q "\"stack_live\",\"$(sed -n "$((3 * i + 8))s/^# stack_live=//p" odd | sed 's/[][]/\\&/g')\",$i\]" odd.html
	done
	# Stack 6 is the first packed: delta 6, one entry, Z(1) Z(1) Z(2^51 - 1).
	grep -q '"stack_live":")$%%' odd.html
	[ "$(grep -o '"stack_live","' odd.html | wc -l)" = 6 ]
	# Memory records are packed all or none; slice_peaks only when alone.
	big_temporal two
	sed -i -e 's/^# memory=\[20,100,8192\]$/# memory=[20,100,8192,1]/' -e 's/^# slice_peaks=.*/&\n&/' two
	"$BIN/mf-html" -o two.html two
	grep -q '\["slice_peaks","\[5,100,0,7\]"\],\["slice_peaks","\[5,100,0,7\]"\],\["memory","\[10,5,4096\]"\],\["memory","\[20,100,8192,1\]"\]' two.html
	grep -q '"series":{"stack_live":"#%' two.html
}

# bats test_tags=browser
@test "browser: a packed temporal page shows exactly what its twin with the series in meta shows" {
	cd "$BATS_TEST_TMPDIR"
	awk -v MS=2000 -v STACKS=1200 -v ALLOCS_MS=5 -f "$ROOT/bench/temporal_capture.awk" > t.mft
	"$BIN/mf-temporal" t.mft > t.peak
	"$BIN/mf-temporal" --leaks t.mft > t.leaks
	for f in peak leaks; do
		[ "$(grep -vc '^#' "t.$f")" -ge 1000 ]
		# A space in a series line is valid JSON that mf-html does not pack.
		sed -E 's/^# (stack_[a-z]+|memory|slice_peaks)=\[/# \1=[ /' "t.$f" > "twin.$f"
		"$BIN/mf-html" -o "t.$f.html" "t.$f"
		"$BIN/mf-html" -o "twin.$f.html" "twin.$f"
		grep -q '"series":{"memory":"' "t.$f.html"
		run ! grep -q '"series":' "twin.$f.html"
	done
	cd "$ROOT"
	browser_ready
	run -0 node tests/browser/same-temporal.mjs "$BATS_TEST_TMPDIR/twin.peak.html" "$BATS_TEST_TMPDIR/t.peak.html"
	[ "$output" = "same 12 windows" ]
	run -0 node tests/browser/same-temporal.mjs "$BATS_TEST_TMPDIR/twin.leaks.html" "$BATS_TEST_TMPDIR/t.leaks.html"
	[ "$output" = "same 12 windows" ]
}

# bats test_tags=browser
@test "browser: a packed series entry outside the slices is reported once the series are read" {
	cd "$BATS_TEST_TMPDIR"
	big_temporal bad '[[1,1,100]]' '[[4,1,100]]'
	"$BIN/mf-html" -o bad.html bad
	cd "$ROOT"
	browser_ready
	run -0 node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
const r = await openReport(process.argv[1]);
const w = await r.page.evaluate(() => window.mf.extension().window());
await r.page.waitForFunction(() => document.querySelector("#mf-extension .mf-warning"));
console.log(w.problem);
console.log(await r.page.evaluate(() => document.querySelector("#mf-extension").textContent));
console.log(await r.page.evaluate(() => window.mf.state().total));
await r.close();
' "$BATS_TEST_TMPDIR/bad.html"
	[ "$output" = 'stack_live of stack 2 has an entry that is not [K,DCOUNT,DBYTES] with 0 <= K < 4
The time window is not available: stack_live of stack 2 has an entry that is not [K,DCOUNT,DBYTES] with 0 <= K < 4. The graph shows the whole recording.
100000' ]
}

# bats test_tags=browser
@test "browser: a packed temporal page opens and reads its series without model.stacks, and its windows are the format's" {
	cd "$BATS_TEST_TMPDIR"
	awk -v MS=1000 -v STACKS=1200 -v ALLOCS_MS=5 -f "$ROOT/bench/temporal_capture.awk" > t.mft
	"$BIN/mf-temporal" t.mft > t.peak
	"$BIN/mf-temporal" --leaks t.mft > t.leaks
	# Before the page script: a counter of the reads of each "stacks" getter it defines (model.stacks).
	cat > counter.html <<'HTML'
<script>
window.stacksGetters = 0; window.stacksReads = 0;
(function (define) {
  Object.defineProperty = function (o, k, d) {
    if (k === 'stacks' && d && d.get) {
      var get = d.get;
      window.stacksGetters++;
      d = { get: function () { window.stacksReads++; return get.call(this); } };
    }
    return define(o, k, d);
  };
})(Object.defineProperty);
</script>
HTML
	for f in peak leaks; do
		[ "$(grep -vc '^#' "t.$f")" -ge 1000 ]
		"$BIN/mf-html" -o "t.$f.html" "t.$f"
		grep -q '"series":{"memory":"' "t.$f.html"
		awk 'NR == FNR { c = c $0 "\n"; next } { print } /^<head>$/ { printf "%s", c }' counter.html "t.$f.html" > "c.$f.html"
	done
	n=$(meta t.peak slices)
	[ "$n" -gt 50 ]
	windows="0 $((n - 1)) $((n / 4)) $((n / 2)) $((n / 2)) $((n / 2)) 0 $((n / 3)) $((n - 5)) $((n - 1))"
	cd "$ROOT"
	browser_ready
	for f in peak leaks; do
		# Opened, then the series read after the first paint without being asked
		# (the measure "mf-temporal series" says when), then windows moved.
		run -0 --separate-stderr node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
const [file, ...w] = process.argv.slice(1);
const r = await openReport(file);
const reads = () => r.page.evaluate(() => [window.stacksGetters, window.stacksReads]);
console.log("opened", (await reads()).join(" "), (await r.page.evaluate(() => window.mf.state().source)));
await r.page.waitForFunction(() => performance.getEntriesByName("mf-temporal series").length === 1);
console.log("series read", (await reads()).join(" "));
const lines = await r.page.evaluate((w) => {
	const ext = window.mf.extension(), out = [];
	for (let i = 0; i < w.length; i += 2) {
		const s = Number(w[i]), e = Number(w[i + 1]), got = ext.setWindow(s, e);
		let bytes = 0;
		for (const x of ext.shown()) { out.push(`${s} ${e}\t${x.stack}\t${x.count}\t${x.bytes}`); bytes += x.bytes; }
		if (got.bytes !== bytes || window.mf.state().total !== bytes || got.problem !== null) out.push(`window ${s} ${e}: ${JSON.stringify(got)}`);
	}
	return out;
}, w);
console.log("windows moved", (await reads()).join(" "));
console.log(lines.join("\n"));
await r.close();
if (r.problems.length) { console.error(r.problems.join("\n")); process.exit(1); }
' "$BATS_TEST_TMPDIR/c.$f.html" $windows
		[ -z "$stderr" ]
		[ "${lines[0]}" = "opened 1 0 temporal$([ $f = leaks ] && echo -leaks)" ]
		[ "${lines[1]}" = "series read 1 0" ]
		[ "${lines[2]}" = "windows moved 1 0" ]
		set -- $windows
		diff <(while [ $# -gt 0 ]; do temporal_views "$BATS_TEST_TMPDIR/t.$f" "$1" "$2"; shift 2; done) <(printf '%s\n' "${lines[@]:3}")
	done
}

# ------------------------------------------------------------ page bytes

@test "mf-html: a page is ASCII throughout, whatever its input (one other byte makes chromium decode all of it as two-byte text)" {
	printf '# format="mf-folded/1"\n# reducer="peak"\nmain;f 10\n' > "$BATS_TEST_TMPDIR/p.folded"
	"$BIN/mf-html" -o "$BATS_TEST_TMPDIR/p.html" "$BATS_TEST_TMPDIR/p.folded"
	# Other characters, and bytes that are not UTF-8, in frames, metadata
	# and the title, on a readable page and a packed one.
	printf '%b\n' '# format="mf-folded/1"' '# reducer="peak"' '# argv=["caf\xc3\xa9"]' \
		'main;\xc3\xa9t\xc3\xa9;\xf0\x9f\x98\x80 10' 'main;\xff\xe2\x82 5' > "$BATS_TEST_TMPDIR/u.folded"
	"$BIN/mf-html" --title "$(printf 'caf\xc3\xa9 \xf0\x9f\x98\x80')" -o "$BATS_TEST_TMPDIR/u.html" "$BATS_TEST_TMPDIR/u.folded"
	awk '1; END { for (i = 0; i < 1000; i++) printf "pad;\303\251_%d 1\n", i }' "$BATS_TEST_TMPDIR/u.folded" > "$BATS_TEST_TMPDIR/u2.folded"
	"$BIN/mf-html" -o "$BATS_TEST_TMPDIR/u2.html" "$BATS_TEST_TMPDIR/u2.folded"
	grep -q '"frames":"' "$BATS_TEST_TMPDIR/u2.html"
	for page in "$BATS_TEST_TMPDIR/p.html" "$R/basic.peak.html" "$R/basic.leaks.html" "$BATS_TEST_TMPDIR/u.html" "$BATS_TEST_TMPDIR/u2.html"; do
		run -1 env LC_ALL=C grep -c -P '[^\x00-\x7f]' "$page"
		[ "$output" = 0 ]
	done
	grep -q '<title>caf&#xe9; &#x1f600;</title>' "$BATS_TEST_TMPDIR/u.html"
}
