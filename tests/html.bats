#!/usr/bin/env bats
# mf-html: folded stacks -> one self-contained HTML page.  The command line
# is checked here; the page itself in headless chromium by
# tests/browser/check.mjs, a few pages and checks per @test.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	export REPORTS="$BATS_FILE_TMPDIR/reports"
	mkdir -p "$REPORTS"
	for f in peak threads evil plain inverted narrow count; do
		"$BIN/mf-html" -o "$REPORTS/$f.html" "tests/data/html_$f.folded"
	done
	"$BIN/mf-html" --hide '^a$' -o "$REPORTS/hideextra.html" tests/data/html_peak.folded
	hostile_reports
	"$BIN/mf-html" -o "$REPORTS/backtrack.html" tests/data/html_backtrack.folded
	"$BIN/mf-html" --hide '(a+)+$' -o "$REPORTS/backtrack-hide.html" tests/data/html_backtrack.folded
	# A frame of 100,000 a's: a search of 6,000 states takes seconds on it.
	{ cat tests/data/html_backtrack.folded; printf 'main;%s 1\n' "$(printf '%100000s' '' | tr ' ' a)"; } > "$REPORTS/long.folded"
	"$BIN/mf-html" -o "$REPORTS/long.html" "$REPORTS/long.folded"
	"$BIN/mf-html" --hide '(a?){2000}a{2000}b' -o "$REPORTS/long-hide.html" "$REPORTS/long.folded"
	# One stack 5,000 frames deep: main;f1;...;f4999.
	awk 'BEGIN { s = "main"; for (i = 1; i < 5000; i++) s = s ";f" i; print s " 100"; print "main;g 50" }' > "$REPORTS/deep.folded"
	"$BIN/mf-html" -o "$REPORTS/deep.html" "$REPORTS/deep.folded"
	# Frame kinds: hand-made captures through the reducer (module lines) and the page.
	for f in kinds stripped python; do
		"$BIN/mf-peak" -o "$REPORTS/$f.folded" "tests/data/html_$f.mft"
		"$BIN/mf-html" -o "$REPORTS/$f.html" "$REPORTS/$f.folded"
	done
	"$BIN/mf-html" -o "$REPORTS/pathkinds.html" tests/data/html_pathkinds.folded
}

# The GNU build id of ELF file $1, as readelf says it.
build_id() {
	readelf -n "$1" | sed -n 's/^ *Build ID: //p'
}

# Pages whose metadata is valid JSON of the wrong type: hostile-NAME.html
# for each line below, on top of the same two stacks.
hostile_reports() {
	local name line
	while IFS='|' read -r name line; do
		printf '# format="mf-folded/1"\n%b\nmain;a 100\nmain;b 200\n' "$line" > "$REPORTS/hostile-$name.folded"
		"$BIN/mf-html" -o "$REPORTS/hostile-$name.html" "$REPORTS/hostile-$name.folded"
	done <<-'EOF'
	start|# start_ms=1e300
	duration|# start_ms=1764127800123\n# duration_ms=1e300
	command|# command={"toString":1}
	pid|# pid={"toString":1}
	ended|# ended={"toString":1}
	threshold|# reducer="temporary"\n# temporary_threshold={"toString":1}
	leaked|# leaked_bytes=5\n# leaked_allocations={"toString":1}
	thread|# split_threads=true\n# thread={"thread":1,"tid":7,"name":{"toString":1}}
	argv|# argv=["a",{"toString":1}]
	proto|# reducer="__proto__"
	constructor|# reducer="constructor"
	protokey|# __proto__={"reducer":{"toString":1}}
	memory|# memory=[0,{"toString":1},5]\n# memory=[1,2,3]
	module|# module={"path":"/w/app","files":[1]}\n# module={"path":"/w/lib.so","build_id":"\u003cb\u003e"}\n# module={"path":"/w/b","lines":false}
	EOF
	printf '# format="mf-folded/1"\n# reducer="peak"\n# command="old"\n# argv=["./app","a b","","it'"'"'s","x=1,y@2:%%+/.-","$HOME","two\\nlines"]\nmain;a 100\n' > "$REPORTS/argv.folded"
	"$BIN/mf-html" -o "$REPORTS/argv.html" "$REPORTS/argv.folded"
	sed -e 's/(worker)/(work\\x0aer)/' -e 's/"name":"worker"/"name":"work\\u000aer"/' tests/data/html_threads.folded > "$REPORTS/newline.folded"
	"$BIN/mf-html" -o "$REPORTS/newline.html" "$REPORTS/newline.folded"
	{ sed '/^# memory=/d' tests/data/html_peak.folded | sed '2a # memory=[0,100,200]\n# memory=[5,"=HYPERLINK(\\"http://x\\")",1]\n# memory=["@SUM(A1)",1,1]\n# memory=[10,300,400]'; } > "$REPORTS/csv.folded"
	"$BIN/mf-html" -o "$REPORTS/csv.html" "$REPORTS/csv.folded"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
}

# browser CHECK[+CHECK...] REPORT [#FRAGMENT] [light|dark] [ARGS...] [-- CHECK REPORT ...]
browser() {
	browser_ready || return 1
	run node tests/browser/check.mjs "$@"
	[ -n "$output" ] && echo "$output"
	[ "$status" -eq 0 ]
}

@test "mf-html --help prints the usage line and the range of --max-memory-records" {
	run -0 --separate-stderr "$BIN/mf-html" --help
	[ "$output" = "usage: mf-html [-o FILE] [-f] [--title TEXT] [--hide REGEX]... [--max-memory-records N] [FILE]
  --max-memory-records N  keep at most N (1 to 100000000) memory records,
                          each the highest of its run, so the peak is kept" ]
	[ "$stderr" = "" ]
}

@test "mf-html: unknown option is a usage error" {
	run -2 --separate-stderr "$BIN/mf-html" --bogus tests/data/html_plain.folded
	[ "$output" = "" ]
	[ "${stderr_lines[0]}" = "mf-html: unknown option '--bogus'" ]
	[ "${stderr_lines[1]}" = "usage: mf-html [-o FILE] [-f] [--title TEXT] [--hide REGEX]... [--max-memory-records N] [FILE]" ]
}

@test "mf-html: two files is a usage error" {
	run -2 --separate-stderr "$BIN/mf-html" tests/data/html_plain.folded tests/data/html_peak.folded
	[ "${stderr_lines[0]}" = "mf-html: expected at most one FILE, found 2" ]
}

@test "mf-html: an option without its argument is a usage error" {
	run -2 --separate-stderr "$BIN/mf-html" tests/data/html_plain.folded -o
	[ "${stderr_lines[0]}" = "mf-html: option '-o' needs an argument" ]
	[ "${stderr_lines[1]}" = "usage: mf-html [-o FILE] [-f] [--title TEXT] [--hide REGEX]... [--max-memory-records N] [FILE]" ]
}

@test "mf-html: empty --hide is a usage error" {
	run -2 --separate-stderr "$BIN/mf-html" --hide '' tests/data/html_plain.folded
	[ "${stderr_lines[0]}" = "mf-html: --hide needs a non-empty regular expression" ]
}

@test "mf-html: a missing file is an error" {
	run -1 --separate-stderr "$BIN/mf-html" -o "$BATS_TEST_TMPDIR/x.html" tests/data/no-such-file
	[ "$output" = "" ]
	[ "$stderr" = "mf-html: cannot open 'tests/data/no-such-file': No such file or directory" ]
	[ ! -e "$BATS_TEST_TMPDIR/x.html" ]
}

@test "mf-html: a bad stack line names FILE:LINE and writes nothing" {
	run -1 --separate-stderr "$BIN/mf-html" -o "$BATS_TEST_TMPDIR/x.html" tests/data/html_bad.folded
	[ "$stderr" = "mf-html: tests/data/html_bad.folded:2: expected a whole number of at most 20 digits after the stack, found 'oops'" ]
	[ ! -e "$BATS_TEST_TMPDIR/x.html" ]
}

@test "mf-html: an empty frame names FILE:LINE" {
	printf 'main;a 1\nmain;;b 2\n' > "$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr "$BIN/mf-html" "$BATS_TEST_TMPDIR/in"
	[ "$output" = "" ]
	[ "$stderr" = "mf-html: $BATS_TEST_TMPDIR/in:2: expected a frame between ';' separators, found an empty one" ]
}

@test "mf-html -o refuses to overwrite without -f" {
	echo keep > "$BATS_TEST_TMPDIR/out.html"
	run -1 --separate-stderr "$BIN/mf-html" -o "$BATS_TEST_TMPDIR/out.html" tests/data/html_plain.folded
	[ "$stderr" = "mf-html: '$BATS_TEST_TMPDIR/out.html' already exists; use -f to overwrite it" ]
	[ "$(cat "$BATS_TEST_TMPDIR/out.html")" = "keep" ]
	run -0 "$BIN/mf-html" -f -o "$BATS_TEST_TMPDIR/out.html" tests/data/html_plain.folded
	grep -q '^<!DOCTYPE html>$' "$BATS_TEST_TMPDIR/out.html"
}

@test "mf-html: a full disk is an error, not a short page" {
	run -1 --separate-stderr "$BIN/mf-html" -f -o /dev/full tests/data/html_plain.folded
	[ "$stderr" = "mf-html: cannot write '/dev/full': No space left on device" ]
	run -1 --separate-stderr sh -c '"$0" tests/data/html_plain.folded > /dev/full' "$BIN/mf-html"
	[ "$stderr" = "mf-html: cannot write 'standard output': No space left on device" ]
}

@test "mf-html reads standard input, plain or gzip" {
	run -0 --separate-stderr sh -c '"$0" < tests/data/html_plain.folded' "$BIN/mf-html"
	a=$output
	run -0 --separate-stderr sh -c 'gzip -c tests/data/html_plain.folded | "$0" -' "$BIN/mf-html"
	[ "$output" = "$a" ]
	[[ "$output" == *'"frames":["main","parse","read_line","alloc_node","render"],"counted":false,"stacks":[0,3,0,1,2,300,0,2,1,3,500,0,1,1,4,200,0,1,2,1,2,100,0]'* ]]
}

@test "mf-html embeds data escaped: nothing in the input can end the script" {
	run -0 --separate-stderr "$BIN/mf-html" tests/data/html_evil.folded
	[ "$(grep -c '</script>' <<< "$output")" = 2 ]
	[[ "$output" == *'"frames":["main (/src/x.c:1)","\u003cimg src=x onerror=alert(1)\u003e (/src/x.c:2)","\u003c/script\u003e\u003cb\u003ebold\u003c/b\u003e (/src/x.c:3)","semi;colon \u0026 \"quotes\" \\ back (/src/x.c:4)"]'* ]]
	[[ "$output" == *'["command","\"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e\""]'* ]]
}

@test "mf-html escapes U+2028, U+2029 and control bytes in the data" {
	printf 'a\xe2\x80\xa8b;c\xe2\x80\xa9d;e\\x01f 5\n' > "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr "$BIN/mf-html" "$BATS_TEST_TMPDIR/in"
	[[ "$output" == *'"frames":["a\u2028b","c\u2029d","e\u0001f"]'* ]]
}

@test "mf-html ties per-stack metadata (stack_*) to the stack line after it" {
	printf '# reducer="temporal"\n# slices=2\n# stack_live=[[0,1,5]]\n# count=1\na;b 5\n# stack_live=[[1,1,7]]\n# count=1\na;c 7\n' > "$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr "$BIN/mf-html" "$BATS_TEST_TMPDIR/in"
	[[ "$output" == *'"meta":[["reducer","\"temporal\""],["slices","2"],["stack_live","[[0,1,5]]",0],["stack_live","[[1,1,7]]",1]],"frames":["a","b","c"],"counted":true,"stacks":[0,2,0,1,5,1,1,1,2,7,1]}'* ]]
}

@test "mf-html --title sets the title as text" {
	run -0 --separate-stderr "$BIN/mf-html" --title 'My <app> & "co"' tests/data/html_plain.folded
	[[ "$output" == *'<title>My &lt;app&gt; &amp; &quot;co&quot;</title>'* ]]
	[[ "$output" == *'{"title":"My \u003capp\u003e \u0026 \"co\"","hide":[],'* ]]
}

@test "mf-html: the page loads nothing from any network address" {
	run -0 --separate-stderr "$BIN/mf-html" tests/data/html_peak.folded
	! grep -Ei '(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/' <<< "$output" || false
	! grep -Ei '<(link|img|iframe|object|embed)\b|src=|@import|(^|[^a-z0-9_$])url\(' <<< "$output" || false
	grep -q "content=\"default-src 'none'" <<< "$output"
}

# Each page is loaded once and several checks run on it one after the
# other; the pages of a test share one browser context (check.mjs).  A
# failure names the check and the page.

# bats test_tags=browser
@test "browser: the peak page: no request but the file; its frames and bytes; tooltip; flame/icicle mirror; click, Reset and Esc zoom; hiding irrelevant frames keeps totals; Back undoes a zoom; memory chart and CSV" {
	browser network+frames+tooltip+orient+zoom+hide+back+memory "$REPORTS/peak.html"
}
# bats test_tags=browser
@test "browser: the threads page: the thread filter shows one thread; search highlights matches and shows their share; the URL fragment restores a view" {
	browser threads+search "$REPORTS/threads.html" \
		-- fragment "$REPORTS/threads.html" '#view=flame&zoom=5.6.7.8&search=compute&thread=2&hide=0'
}
# bats test_tags=browser
@test "browser: dark theme follows the system and switches" { browser theme "$REPORTS/peak.html" '' dark; }
# bats test_tags=browser
@test "browser: --hide hides more; frames too narrow at the top level exist when zoomed; a frame named <img onerror> is text; inverted input is labelled; plain flamegraph.pl input; value=count is drawn in allocations" {
	browser hideextra "$REPORTS/hideextra.html" -- narrow "$REPORTS/narrow.html" -- xss "$REPORTS/evil.html" \
		-- inverted "$REPORTS/inverted.html" -- plain "$REPORTS/plain.html" -- count "$REPORTS/count.html"
}

# hostile NAME [WARNING]: the arguments of check.mjs for the page of
# hostile_reports' line NAME: it works and warns so.
hostile() { printf '%s\0' -- hostile "$REPORTS/hostile-$1.html" '' light "${2-}"; }
# bats test_tags=browser
@test "browser: metadata of the wrong type is ignored, and said so: start_ms past a date, end time past a date, command, pid, ended, temporary_threshold, leaked_allocations, thread name, argv, memory record, module lines; a key named __proto__ is a key like any other; reducers __proto__ and constructor are unknown reducers" {
	mapfile -d '' -t args < <(
		hostile start 'ignored metadata start_ms that is not a time'
		hostile duration
		hostile command 'ignored metadata command that is not a string'
		hostile pid 'ignored metadata pid that is not a number'
		hostile ended 'ignored metadata ended that is not a string'
		hostile threshold 'ignored metadata temporary_threshold that is not a number'
		hostile leaked 'ignored metadata leaked_allocations that is not a number'
		hostile thread 'ignored metadata thread that is not a {"thread":N,"tid":TID,"name":"NAME"}'
		hostile argv 'ignored metadata argv that is not a list of strings'
		hostile memory 'ignored metadata memory that is not a [MS,HEAP,RSS] of numbers'
		hostile protokey
		hostile module 'ignored metadata module that is not a {"path":"PATH","program":BOOL,"lines":BOOL,"files":[...]}; ignored metadata module that is not a {"path":"PATH","program":BOOL,"lines":BOOL,"files":[...]}')
	[ "${#args[@]}" = $((12 * 6)) ]
	browser protoreducer "$REPORTS/hostile-proto.html" -- protoreducer "$REPORTS/hostile-constructor.html" "${args[@]}"
}
# bats test_tags=browser
@test "browser: argv is shown quoted as a shell needs it; a thread name with a newline keeps the thread filter working; the memory CSV has numbers only, no formula" {
	browser argv "$REPORTS/argv.html" -- threadnewline "$REPORTS/newline.html" -- csv "$REPORTS/csv.html"
}
# bats test_tags=browser
@test "browser: a backtracking search from the fragment, and a backtracking --hide pattern, match at once; a search too slow for the frames stops and says so; a --hide pattern too slow is left out" {
	browser backtrack "$REPORTS/backtrack.html" '#search=(a%2B)%2B%24' -- backtrack "$REPORTS/backtrack-hide.html" '' light hidden \
		-- slowsearch "$REPORTS/long.html" -- slowhide "$REPORTS/long-hide.html"
}
# bats test_tags=browser
@test "browser: a stack 5,000 frames deep is drawn" { browser deep "$REPORTS/deep.html"; }

# bats test_tags=browser
@test "browser: frame kinds: by module and path (program, plugins, glibc, C++ headers, Rust std; plumbing hidden; short labels); a stripped program is the user's code, modules without debug information and their debug files; Python frames; folded stacks without module lines by their paths" {
	jq_id=$(build_id /usr/bin/jq) libc_id=$(build_id /usr/lib/x86_64-linux-gnu/libc.so.6)
	[ -n "$jq_id" ]
	[ -n "$libc_id" ]
	browser kinds "$REPORTS/kinds.html" -- stripped "$REPORTS/stripped.html" '' light "$jq_id" "$libc_id" \
		-- python "$REPORTS/python.html" -- pathkinds "$REPORTS/pathkinds.html"
}

# bats test_tags=browser
@test "browser: a page of 1,000 stacks or more has its data packed, and gives the frames of the readable form" {
	cd "$BATS_TEST_TMPDIR"
	# What the tables must give back exactly: locations with and without
	# a line, lines that are not plain numbers, parentheses in a name, a
	# thread frame, characters that JSON and HTML escape.
	printf '%s\n' 'edge (/src/e.c:1);thread 3 (worker);a (b) (libz.so.1);f(int) const (/src/x.c:0) 10' \
		'edge (/src/e.c:1);thread 3 (worker);a (b) (libz.so.1);g (/src/x.c:007) 20' \
		'edge (/src/e.c:1);plain;h (/src/x.c:) 30' 'edge (/src/e.c:1);plain;i (/src/x.c:1234567890) 40' \
		'edge (/src/e.c:1);</script> (</script>:5);j\xe2\x80\xa8 ("q".c:2) 50' \
		'edge (/src/e.c:1);plain;g (/src/x.c:007);g (/src/x.c:007) 60' > edges
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "main (/src/main.c:1);pad_%d (/src/pad%d.c:%d) %d\n", i, i % 7, i + 1, i + 1 }' > pad
	cat edges pad > all
	"$BIN/mf-html" -o readable.html edges
	"$BIN/mf-html" -o packed.html all
	grep -q '"frames":\["edge (/src/e.c:1)",' readable.html
	grep -q '"words":\[.*"names":\[.*"files":\["\\u003c/script\\u003e",.*"frames":"[^"]*","counted":false,"stacks":"[^"]*"}' packed.html
	(cd "$ROOT" && browser_ready)
	run node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
const seen = [];
for (const file of process.argv.slice(1)) {
	const r = await openReport(file);
	const got = await r.page.evaluate(() => ({ totals: window.mf.totals,
		frames: window.mf.frames().filter((f) => !/^(main|pad_\d+|<root>)$/.test(f.name))
			.map((f) => [f.frame, f.name, f.location, f.kind, f.bytes, f.self]).sort() }));
	if (r.problems.length) console.log(r.problems.join("\n"));
	seen.push(got);
	await r.close();
}
console.log(seen[1].totals.stacks, JSON.stringify(seen[0].frames) === JSON.stringify(seen[1].frames) ? "same frames" : "different:\n" + JSON.stringify(seen));
console.log(JSON.stringify(seen[0].frames.map((f) => f[0])).replace(/\u2028/g, "\\u2028"));
' "$BATS_TEST_TMPDIR/readable.html" "$BATS_TEST_TMPDIR/packed.html"
	[ "$output" = '1006 same frames
["</script> (</script>:5)","a (b) (libz.so.1)","edge (/src/e.c:1)","f(int) const (/src/x.c:0)","g (/src/x.c:007)","g (/src/x.c:007)","g (/src/x.c:007)","h (/src/x.c:)","i (/src/x.c:1234567890)","j\u2028 (\"q\".c:2)","plain","thread 3 (worker)"]' ]
}

# bats test_tags=browser
@test "browser: stacks whose callers come back after others merge into one node, hidden callers too, readable and packed" {
	cd "$BATS_TEST_TMPDIR"
	# In byte order "a;b!x" sorts between "a;b" and "a;b;c": the tree is
	# built in one pass over the stacks, and node a;b must be found again.
	# Both operator new frames are hidden: their callees d merge.
	printf '%s\n' 'a;b 1' 'a;b!x;c 2' 'a;b;c 4' 'a;operator new(unsigned long) (libstdc++.so.6);d 8' \
		'a;operator new[](unsigned long) (libstdc++.so.6);d 16' > few
	awk 'BEGIN { for (i = 0; i < 1000; i++) printf "zpad;pad_%d 1\n", i }' > pad
	cat few pad > all
	"$BIN/mf-html" -o readable.html few
	"$BIN/mf-html" -o packed.html all
	grep -q '"frames":"' packed.html
	(cd "$ROOT" && browser_ready)
	run node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
for (const file of process.argv.slice(1)) for (const hash of ["", "#hide=0"]) {
	const r = await openReport(file, { hash });
	const got = await r.page.evaluate(() => window.mf.frames().filter((f) => !/^(zpad|pad_\d+|<root>)$/.test(f.name))
		.map((f) => f.name + " " + f.depth + " " + f.bytes + " " + f.self).join(", "));
	if (r.problems.length) console.log(r.problems.join("\n"));
	console.log(got);
	await r.close();
}
' "$BATS_TEST_TMPDIR/readable.html" "$BATS_TEST_TMPDIR/packed.html"
	[ "$output" = 'a 1 31 0, d 2 24 24, b 2 5 1, c 3 4 4, b!x 2 2 0, c 3 2 2
a 1 31 0, operator new[](unsigned long) 2 16 0, d 3 16 16, operator new(unsigned long) 2 8 0, d 3 8 8, b 2 5 1, c 3 4 4, b!x 2 2 0, c 3 2 2
a 1 31 0, d 2 24 24, b 2 5 1, c 3 4 4, b!x 2 2 0, c 3 2 2
a 1 31 0, operator new[](unsigned long) 2 16 0, d 3 16 16, operator new(unsigned long) 2 8 0, d 3 8 8, b 2 5 1, c 3 4 4, b!x 2 2 0, c 3 2 2' ]
}

# bats test_tags=browser
@test "browser: frames hidden by name and by file, their texts made when read: the same on a readable and a packed page" {
	cd "$BATS_TEST_TMPDIR"
	# Each frame under main, its own width: hidden by its name (one a Rust
	# name with its hash, one with finish_grow after a scope), by its file
	# or module (with and without a line), and look-alikes that are not.
	printf '%s\n' '_start' 'operator new(unsigned long) (/usr/include/c++/12/new:5)' \
		'std::allocator<int>::allocate(unsigned long) (/usr/include/c++/12/bits/allocator.h:9)' \
		'mycrate::finish_grow<u8> (/src/lib.rs:3)' '__rust_alloc::h0123456789abcdef' \
		'f_ld (/lib64/ld-linux-x86-64.so.2)' 'f_ldline (/glibc/ld-linux-x86-64.so.2:5)' \
		'f_ldoff (ld-linux-x86-64.so.2+0x1f2e)' 'f_rec (/opt/mf/libmf-record.so:12)' 'f_rec2 (libmf-record.so)' \
		'operator newest (/src/a.c:2)' 'my_finish_grow (/src/a.c:3)' 'f_notld (/lib64/ld-linux.d/x.so:4)' \
		'f_mfrec (/src/libmf-recorder.c:5)' 'clang::Sema::X(int) (/src/s.cc:7)' 'thread 2 (worker)' '<STACK TOO DEEP>' |
		awk '{ printf "main;%s %d\n", $0, 1000 - NR }' > few
	(cd "$ROOT" && browser_ready)
	# The same with 1,000 stacks more, packed.
	awk '1; END { for (i = 0; i < 1000; i++) printf "zpad;pad_%d 1\n", i }' few > all
	"$BIN/mf-html" -o readable.html few
	"$BIN/mf-html" -o packed.html all
	grep -q '"frames":"' packed.html
	run node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
const seen = [];
for (const file of process.argv.slice(1)) {
	const r = await openReport(file, { hash: "#hide=0" });
	const list = () => r.page.evaluate(() => window.mf.frames().filter((f) => f.depth === 2 && !/^pad_/.test(f.name))
		.map((f) => [f.frame, f.name, f.location, f.kind, f.hidden].join(" | ")).join("\n"));
	const first = await list();
	/* After the first paint the page works out every frame kind in idle tasks: read them again after. */
	await r.page.evaluate(() => new Promise((res) => setTimeout(res, 300)));
	const again = await list();
	await r.page.evaluate(() => { location.hash = "#hide=1"; });
	await r.page.waitForFunction(() => window.mf.state().hide === true);
	const shown = await r.page.evaluate(() => window.mf.frames().filter((f) => f.depth === 2 && !/^pad_/.test(f.name)).map((f) => f.name).join(", "));
	if (r.problems.length) console.log(r.problems.join("\n"));
	await r.close();
	seen.push(first + "\n" + shown);
	console.log(first === again ? "same after the idle tasks" : "different after the idle tasks:\n" + again);
}
console.log(seen[0] === seen[1] ? "readable and packed the same" : "different:\n" + seen[1]);
console.log(seen[0]);
' "$BATS_TEST_TMPDIR/readable.html" "$BATS_TEST_TMPDIR/packed.html"
	[ "$output" = 'same after the idle tasks
same after the idle tasks
readable and packed the same
_start | _start |  | system | true
operator new(unsigned long) (/usr/include/c++/12/new:5) | operator new(unsigned long) | /usr/include/c++/12/new:5 | system | true
std::allocator<int>::allocate(unsigned long) (/usr/include/c++/12/bits/allocator.h:9) | std::allocator<int>::allocate(unsigned long) | /usr/include/c++/12/bits/allocator.h:9 | system | true
mycrate::finish_grow<u8> (/src/lib.rs:3) | mycrate::finish_grow<u8> | /src/lib.rs:3 | system | true
__rust_alloc::h0123456789abcdef | __rust_alloc::h0123456789abcdef |  | system | true
f_ld (/lib64/ld-linux-x86-64.so.2) | f_ld | /lib64/ld-linux-x86-64.so.2 | system | true
f_ldline (/glibc/ld-linux-x86-64.so.2:5) | f_ldline | /glibc/ld-linux-x86-64.so.2:5 | system | true
f_ldoff (ld-linux-x86-64.so.2+0x1f2e) | f_ldoff | ld-linux-x86-64.so.2+0x1f2e | system | true
f_rec (/opt/mf/libmf-record.so:12) | f_rec | /opt/mf/libmf-record.so:12 | system | true
f_rec2 (libmf-record.so) | f_rec2 | libmf-record.so | system | true
operator newest (/src/a.c:2) | operator newest | /src/a.c:2 | user | false
my_finish_grow (/src/a.c:3) | my_finish_grow | /src/a.c:3 | user | false
f_notld (/lib64/ld-linux.d/x.so:4) | f_notld | /lib64/ld-linux.d/x.so:4 | user | false
f_mfrec (/src/libmf-recorder.c:5) | f_mfrec | /src/libmf-recorder.c:5 | user | false
clang::Sema::X(int) (/src/s.cc:7) | clang::Sema::X(int) | /src/s.cc:7 | user | false
thread 2 (worker) | thread 2 | worker | thread | false
<STACK TOO DEEP> | <STACK TOO DEEP> |  | system | false
operator newest, my_finish_grow, f_notld, f_mfrec, clang::Sema::X(int), thread 2, <STACK TOO DEEP>' ]
}

# bats test_tags=browser
@test "browser: stacks sharing deep prefixes in scrambled order make the same tree as merging them one by one" {
	cd "$BATS_TEST_TMPDIR"
	# 1,916 stacks under one caller chain 12 deep: its last frame has 700
	# callees (found again by a table past a few), each with two or three of
	# its own, values with many ties (order by text then); "kN!x" sorts
	# between "kN" and "kN;..." and hidden operator new frames merge into kN.
	awk 'BEGIN {
		c = "c0"; for (d = 1; d < 12; d++) c = c ";c" d
		for (i = 0; i < 700; i++) {
			for (j = 0; j < 2 + i % 2; j++) printf "%s;k%d;n%d %d\n", c, i, j, 1 + (i + j) % 4
			if (i % 7 == 0) printf "%s;k%d!x;z %d\n", c, i, 1 + i % 3
			if (i % 11 == 0) printf "%s;operator new(unsigned long) (libstdc++.so.6);k%d;n0 %d\n", c, i, 2
		}
		printf "%s 5\nc0;c1 7\n", c
	}' > sorted
	# Scrambled: in the order of a hash of each line, not of its text.
	awk '{ h = 0; for (i = 1; i <= length($0); i++) h = (h * 31 + index("0123456789cknxz;!", substr($0, i, 1))) % 1000003; print h "\t" $0 }' sorted |
		sort -n | cut -f2- > scrambled
	"$BIN/mf-html" -o page.html scrambled
	grep -q '"frames":"' page.html
	(cd "$ROOT" && browser_ready)
	run node --input-type=module -e '
import fs from "node:fs";
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
// The tree as a merge of one stack at a time into nested maps: callees
// widest first, then by frame text; hidden frames dropped with hide on.
function expected(hide) {
	const root = { kids: new Map(), total: 0, self: 0 };
	for (const line of fs.readFileSync("scrambled", "utf8").split("\n").filter(Boolean)) {
		const sp = line.lastIndexOf(" "), v = Number(line.slice(sp + 1));
		let n = root;
		n.total += v;
		for (const f of line.slice(0, sp).split(";")) {
			if (hide && f.startsWith("operator new")) continue;
			if (!n.kids.has(f)) n.kids.set(f, { kids: new Map(), total: 0, self: 0 });
			n = n.kids.get(f);
			n.total += v;
		}
		n.self += v;
	}
	const out = [];
	const walk = (name, n, d) => {
		out.push(name + " " + d + " " + n.total + " " + n.self);
		[...n.kids].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).forEach(([k, c]) => walk(k, c, d + 1));
	};
	walk("<root>", root, 0);
	return out;
}
for (const hash of ["", "#hide=0"]) {
	const r = await openReport("page.html", { hash });
	const got = await r.page.evaluate(() => window.mf.frames().map((f) => f.frame + " " + f.depth + " " + f.bytes + " " + f.self));
	if (r.problems.length) console.log(r.problems.join("\n"));
	const want = expected(hash === "");
	const bad = got.findIndex((g, i) => g !== want[i]);
	console.log(got.length, want.length, bad < 0 ? "same tree" : "differs at " + bad + ": " + got[bad] + " != " + want[bad]);
	console.log(got.slice(12, 17).join(", "));
	await r.close();
}
'
	[ "$output" = '2663 2663 same tree
c11 12 4882 5, k121 13 11 0, n0 14 4 4, n2 14 4 4, n1 14 3 3
2792 2792 same tree
c11 12 4882 5, operator new(unsigned long) (libstdc++.so.6) 13 128 0, k0 14 2 0, n0 15 2 2, k11 14 2 0' ]
}

# bats test_tags=browser
@test "browser: a report of no allocations says so and counts as rendered" {
	printf '# value: bytes\n' | "$BIN/mf-html" -o "$BATS_TEST_TMPDIR/empty.html"
	browser empty "$BATS_TEST_TMPDIR/empty.html"
}

# bats test_tags=browser
@test "browser: every node's own and whole bytes and allocations, made after the first paint, are those of merging the stacks, with hiding off and a thread filter" {
	cd "$BATS_TEST_TMPDIR"
	# 3 threads, 400 stacks in a scrambled order, counts of their own;
	# "kN" alone and "kN;nM" (a caller's own bytes), a stack ending in a
	# hidden operator new (its bytes go to kN, beside kN's own), and stacks
	# of no bytes and no allocations (left out) or allocations only.
	awk 'BEGIN {
		print "# format=\"mf-folded/1\""; print "# reducer=\"leaks\""; print "# split_threads=true"
		for (t = 1; t <= 3; t++) printf "# thread={\"thread\":%d,\"tid\":%d,\"name\":\"w%d\"}\n", t, 100 + t, t
		for (i = 0; i < 400; i++) {
			t = 1 + i % 3; s = "thread " t " (w" t ");main (/src/m.c:1);k" (i * 7) % 23
			if (i % 5 == 0) s = s ";operator new(unsigned long) (libstdc++.so.6)"
			else if (i % 4 != 0) s = s ";n" i % 6
			v = (i % 9 == 0) ? 0 : 1 + (i * 13) % 50; c = (i % 18 == 0) ? 0 : 1 + i % 5
			printf "%06d\t# count=%d\n%06d\t%s %d\n", (i * 7919) % 1000, c, (i * 7919) % 1000, s, v
		}
	}' | sort -s -t'	' -k1,1n | cut -f2- > stacks.folded
	"$BIN/mf-html" -o page.html stacks.folded
	(cd "$ROOT" && browser_ready)
	run node --input-type=module -e '
import fs from "node:fs";
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
// The tree as a merge of one stack at a time into nested maps: callees
// widest first, then by frame text.
function expected(hide, thread) {
	const node = () => ({ kids: new Map(), total: 0, self: 0, count: 0, selfCount: 0 });
	const root = node();
	let count = 0;
	for (const line of fs.readFileSync("stacks.folded", "utf8").split("\n")) {
		if (line.startsWith("# count=")) { count = Number(line.slice(8)); continue; }
		if (!line || line[0] === "#") continue;
		const sp = line.lastIndexOf(" "), v = Number(line.slice(sp + 1)), frames = line.slice(0, sp).split(";");
		if (v === 0 && count === 0 || thread && frames[0] !== "thread " + thread + " (w" + thread + ")") continue;
		let n = root;
		n.total += v; n.count += count;
		for (const f of frames) {
			if (hide && f.startsWith("operator new")) continue;
			if (!n.kids.has(f)) n.kids.set(f, node());
			n = n.kids.get(f);
			n.total += v; n.count += count;
		}
		n.self += v; n.selfCount += count;
	}
	const out = [];
	const walk = (name, n, d) => {
		out.push([name, d, n.total, n.self, n.count, n.selfCount].join(" "));
		[...n.kids].sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).forEach(([k, c]) => walk(k, c, d + 1));
	};
	walk("<root>", root, 0);
	return out;
}
for (const [hash, hide, thread] of [["", true, 0], ["#hide=0", false, 0], ["#thread=2", true, 2]]) {
	const r = await openReport("page.html", { hash });
	const s = await r.page.evaluate(() => ({ count: window.mf.state().count, totals: window.mf.totals.count }));
	const got = await r.page.evaluate(() => window.mf.frames().map((f) => [f.frame, f.depth, f.bytes, f.self, f.count, f.selfCount].join(" ")));
	if (r.problems.length) console.log(r.problems.join("\n"));
	const want = expected(hide, thread), bad = got.findIndex((g, i) => g !== want[i]);
	console.log(hash || "-", got.length, want.length, bad < 0 ? "same tree" : "differs at " + bad + ": " + got[bad] + " != " + want[bad],
		"root count", s.count, s.totals, want[0].split(" ")[4]);
	console.log(got.slice(3, 6).join(", "));
	await r.close();
}
'
	[ "$output" = '- 200 200 same tree root count 1133 1133 1133
k0 3 249 89 17 6, n4 4 86 86 5 5, n1 4 74 74 6 6
#hide=0 266 266 same tree root count 1133 1133 1133
k0 3 249 43 17 5, n4 4 86 86 5 5, n1 4 74 74 6 6
#thread=2 69 69 same tree root count 400 1133 400
k0 3 249 89 17 6, n4 4 86 86 5 5, n1 4 74 74 6 6' ]
}

# bats test_tags=browser
@test "browser: callees of equal width in the order of their texts, not the order they came in, readable and packed" {
	cd "$BATS_TEST_TMPDIR"
	# Callees of main of equal width, in the opposite order of their texts
	# as the page compares them (JavaScript's <, by UTF-16 units, on what
	# the browser reads): U+1F600 before U+E000, bytes that are not UTF-8
	# (U+FFFD) after both, line 10 before line 9.  The two that read alike
	# keep the order they came in (their callees k1, k2 tell them apart);
	# two's two callees are swapped.  Packed, pad_N too: pad_10 before pad_2.
	printf '%b\n' 'main;\xffq;k1 5' 'main;\x80q;k2 5' 'main;\xee\x80\x80 5' 'main;\xf0\x9f\x98\x80 5' 'main;\xc3\xa9 5' \
		'main;z 5' 'main;f (a.c:9) 5' 'main;f (a.c:10) 5' 'main;f 5' 'main;b 5' 'main;a 5' 'main;B 5' \
		'main;two;y 3' 'main;two;x 3' > few
	awk '1; END { for (i = 0; i < 1000; i++) printf "zpad;pad_%d 1\n", i }' few > all
	"$BIN/mf-html" -o readable.html few
	"$BIN/mf-html" -o packed.html all
	grep -q '"frames":\[' readable.html
	grep -q '"frames":"' packed.html
	(cd "$ROOT" && browser_ready)
	run node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
const ascii = (s) => s.replace(/[^\x20-\x7e]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
for (const file of process.argv.slice(1)) {
	const r = await openReport(file);
	const got = await r.page.evaluate(() => { let pads = 0; return window.mf.frames().filter((f) => !/^pad_/.test(f.name) || pads++ < 4)
		.map((f) => f.frame + " " + f.depth).join(", "); });
	if (r.problems.length) console.log(r.problems.join("\n"));
	console.log(ascii(got));
	await r.close();
}
' "$BATS_TEST_TMPDIR/readable.html" "$BATS_TEST_TMPDIR/packed.html"
	[ "$output" = '<root> 0, main 1, two 2, x 3, y 3, B 2, a 2, b 2, f 2, f (a.c:10) 2, f (a.c:9) 2, z 2, \u00e9 2, \ud83d\ude00 2, \ue000 2, \ufffdq 2, k1 3, \ufffdq 2, k2 3
<root> 0, zpad 1, pad_0 2, pad_1 2, pad_10 2, pad_100 2, main 1, two 2, x 3, y 3, B 2, a 2, b 2, f 2, f (a.c:10) 2, f (a.c:9) 2, z 2, \u00e9 2, \ud83d\ude00 2, \ue000 2, \ufffdq 2, k1 3, \ufffdq 2, k2 3' ]
}

# The page writes every character from U+0080 as an escape (\uXXXX in its
# data, &#xHEX; in its markup): the browser must read the very characters
# the UTF-8 would have given, bytes that are not UTF-8 as U+FFFD.
# bats test_tags=browser
@test "browser: a page of other characters, written as escapes, reads them as UTF-8 would: frames, title, command, packed and readable" {
	cd "$BATS_TEST_TMPDIR"
	printf '%b\n' '# format="mf-folded/1"' '# reducer="peak"' '# argv=["caf\xc3\xa9","\xe2\x82"]' \
		'main;\xc3\xa9t\xc3\xa9;\xf0\x9f\x98\x80 10' 'main;\xff\xe2\x82 5' > u.folded
	"$BIN/mf-html" --title "$(printf 'caf\xc3\xa9 \xf0\x9f\x98\x80')" -o titled.html u.folded
	"$BIN/mf-html" -o readable.html u.folded
	awk '1; END { for (i = 0; i < 1000; i++) printf "pad;\303\251_%d 1\n", i }' u.folded > u2.folded
	"$BIN/mf-html" -o packed.html u2.folded
	(cd "$ROOT" && browser_ready)
	run node --input-type=module -e '
import { openReport } from "'"$ROOT"'/tests/browser/lib.mjs";
const ascii = (s) => s.replace(/[^\x20-\x7e]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
for (const file of process.argv.slice(1)) {
	const r = await openReport(file);
	const got = await r.page.evaluate(() => [document.title, document.getElementById("mf-title").textContent,
		window.mf.frames().slice(0, 6).map((f) => f.frame).join(",")].join(" | "));
	if (r.problems.length) console.log(r.problems.join("\n"));
	console.log(ascii(got));
	await r.close();
}
' "$BATS_TEST_TMPDIR/titled.html" "$BATS_TEST_TMPDIR/readable.html" "$BATS_TEST_TMPDIR/packed.html"
	[ "$output" = 'caf\u00e9 \ud83d\ude00 | caf\u00e9 \ud83d\ude00 | <root>,main,\u00e9t\u00e9,\ud83d\ude00,\ufffd\ufffd
Peak memory: '"'"'caf\u00e9'"'"' '"'"'\ufffd'"'"' | mf \u2014 peak memory flame graph | <root>,main,\u00e9t\u00e9,\ud83d\ude00,\ufffd\ufffd
Peak memory: '"'"'caf\u00e9'"'"' '"'"'\ufffd'"'"' | mf \u2014 peak memory flame graph | <root>,pad,\u00e9_0,\u00e9_1,\u00e9_10,\u00e9_100' ]
}
