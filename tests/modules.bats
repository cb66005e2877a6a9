#!/usr/bin/env bats
# The module lines (# module={...}, docs/FORMAT.md) of every reducer: which
# modules the output's frames are in, the program among them, whether
# their frames had lines, the build id of one without, and the files its
# frames name; passed through by mf-invert and by mf-fold on folded input.
# The page's use of them is tested by tests/html.bats (browser checks).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

modules() {
	sed -n 's/^# module=//p' <<<"$output"
}

# The GNU build id of ELF file $1, as readelf says it.
build_id() {
	readelf -n "$1" | sed -n 's/^ *Build ID: //p'
}

R=/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/alloc/src

@test "modules: mf-peak names each module of the output once, with its files; a module without lines gets its build id" {
	id=$(build_id /usr/lib/x86_64-linux-gnu/libstdc++.so.6)
	[ -n "$id" ]
	run -0 --separate-stderr "$BIN/mf-peak" "$DATA/html_kinds.mft"
	[ "$stderr" = "" ]
	[ "$(modules)" = '{"path":"/work/app/app","program":true,"lines":true,"files":["/work/app/app.c","/usr/include/c++/12/bits/stl_vector.h","'$R'/vec/mod.rs","'$R'/raw_vec.rs","'$R'/alloc.rs"]}
{"path":"/usr/lib/x86_64-linux-gnu/libc.so.6","program":false,"lines":true,"files":["./csu/../csu/libc-start.c","./string/strdup.c"]}
{"path":"/work/app/plugins/libmine.so","program":false,"lines":true,"files":["/work/app/plugins/mine.c"]}
{"path":"/usr/lib/x86_64-linux-gnu/libstdc++.so.6","program":false,"lines":false,"build_id":"'$id'","files":[]}
{"path":"/opt/vendor/libnodebug.so","program":false,"lines":false,"files":[]}' ]
	# After the recording's metadata, before the peak's.
	[ "$(grep -A1 '^# thread=' <<<"$output" | tail -1)" = "# module=$(modules | head -1)" ]
	[ "$(grep -B1 '^# peak_bytes=' <<<"$output" | head -1)" = "# module=$(modules | tail -1)" ]
}

# A capture where module 2's frames are only in a freed allocation, and
# module 3's only in one still live at the end.
only_some() {
	cat > some.mft <<-'EOT'
	H 2 full 9 1764127800000 10 ./host
	M 1 /w/host
	M 2 /w/libgone.so
	M 3 /w/libkept.so
	M 4 [python]
	F 1 1 /w/host.c 3 main
	F 2 2 /w/gone.c 5 gone
	F 3 3 ? 0 kept
	F 4 4 <string> 1 <lambda>
	S 1 0 1
	S 2 1 2
	S 3 1 3
	S 4 1 4
	T 1 9 host
	a 1 2 1
	f 1 0
	a 1 3 10
	a 1 4 5
	E 1 3 1 0 0 exit 0
	EOT
}

@test "modules: only the modules of the output's frames, for every reducer" {
	only_some
	host='{"path":"/w/host","program":true,"lines":true,"files":["/w/host.c"]}'
	gone='{"path":"/w/libgone.so","program":false,"lines":true,"files":["/w/gone.c"]}'
	kept='{"path":"/w/libkept.so","program":false,"lines":false,"files":[]}'
	python='{"path":"[python]","program":false,"lines":true,"files":["\u003cstring\u003e"]}'
	run -0 "$BIN/mf-peak" some.mft
	[ "$(modules)" = "$host
$kept
$python" ]
	run -0 "$BIN/mf-leaks" some.mft
	[ "$(modules)" = "$host
$kept
$python" ]
	run -0 "$BIN/mf-fold" some.mft
	[ "$(modules)" = "$host
$gone
$kept
$python" ]
	run -0 "$BIN/mf-fold" --temporary=5 some.mft
	[ "$(modules)" = "$host
$gone" ]
	# mf-temporal: any window may show any stack.
	run -0 "$BIN/mf-temporal" some.mft
	[ "$(modules)" = "$host
$gone
$kept
$python" ]
}

@test "modules: mf-invert and mf-fold on folded input pass the lines through" {
	only_some
	"$BIN/mf-fold" -o all.folded some.mft
	run -0 "$BIN/mf-invert" all.folded
	[ "$(modules)" = "$(sed -n 's/^# module=//p' all.folded)" ]
	[ "$(modules | wc -l)" = 4 ]
	run -0 "$BIN/mf-fold" all.folded
	[ "$(modules)" = "$(sed -n 's/^# module=//p' all.folded)" ]
}

# capture ARGV0 M-LINES... : a capture whose one stack starts in module 1
# and calls into module 2.
capture() {
	local argv0=$1
	shift
	{
		echo "H 2 full 9 1764127800000 10 $argv0"
		printf '%s\n' "$@"
		printf 'F 1 1 ? 0 outer\nF 2 2 ? 0 inner\nS 1 0 1\nS 2 1 2\nT 1 9 x\na 1 2 1\nE 1 1 0 0 0 exit 0\n'
	} > c.mft
}

@test "modules: the program is named like argv[0], or the outermost module that is not a shared object" {
	capture python3 'M 1 /usr/bin/python3.11' 'M 2 /usr/lib/x86_64-linux-gnu/libc.so.6'
	run -0 "$BIN/mf-peak" c.mft
	[ "$(modules | grep -o '"path":"[^"]*","program":[a-z]*')" = '"path":"/usr/bin/python3.11","program":true
"path":"/usr/lib/x86_64-linux-gnu/libc.so.6","program":false' ]
	# A thread's stacks start in libc: a shared object is never the program.
	capture ./app 'M 1 /usr/lib/x86_64-linux-gnu/libc.so.6' 'M 2 /w/libplugin.so.1'
	run -0 "$BIN/mf-peak" c.mft
	[ "$(modules | grep -c '"program":true')" = 0 ]
	# Named like argv[0], wherever its frames are.
	capture /w/tool 'M 1 /usr/lib/x86_64-linux-gnu/libc.so.6' 'M 2 /opt/tool'
	run -0 "$BIN/mf-peak" c.mft
	[ "$(modules | grep -o '"path":"[^"]*","program":[a-z]*')" = '"path":"/usr/lib/x86_64-linux-gnu/libc.so.6","program":false
"path":"/opt/tool","program":true' ]
}

@test "modules: a build id only from a regular ELF file there; a FIFO, a directory, text or nothing give none" {
	mkfifo fifo
	mkdir dir
	echo 'not ELF' > text
	printf '\177ELF' > short
	for path in "$PWD/fifo" "$PWD/dir" "$PWD/text" "$PWD/short" "$PWD/absent" "/proc/self/mem"; do
		capture ./app 'M 1 /w/app' "M 2 $path"
		run -0 --separate-stderr timeout 10 "$BIN/mf-peak" c.mft
		[ "$stderr" = "" ]
		[ "$(modules | tail -1)" = '{"path":"'"$path"'","program":false,"lines":false,"files":[]}' ]
	done
	capture ./app 'M 1 /w/app' "M 2 $BIN/mf-peak"
	run -0 "$BIN/mf-peak" c.mft
	[ "$(modules | tail -1)" = '{"path":"'"$BIN/mf-peak"'","program":false,"lines":false,"build_id":"'"$(build_id "$BIN/mf-peak")"'","files":[]}' ]
}
