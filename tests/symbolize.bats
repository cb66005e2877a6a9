#!/usr/bin/env bats
# mf-record's symbolizer (mf-record/symbolizer/symbolize.c, sym_*.c), driven by
# build/tests/symtest from what the tests/progs/sym_* programs print about
# themselves: their modules and the return addresses of known call sites;
# and, at the end, mf-record itself on programs whose libraries change
# under it (sym_load).

load helpers

bats_require_minimum_version 1.5.0

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd -P)
	B=$PROGS
	P=$ROOT/tests/progs
	IN=$BATS_TEST_TMPDIR/in
}

# line_of FILE TEXT: the number of the one line of FILE containing TEXT.
line_of() {
	local n
	n=$(grep -n -F -- "$2" "$1" | cut -d: -f1)
	[ "$(printf '%s\n' "$n" | wc -l)" -eq 1 ] && [ -n "$n" ] || {
		echo "'$2' is not on exactly one line of $1" >&2
		return 1
	}
	echo "$n"
}

# symbolize PROGRAM [ARG...]: run the program, then symtest on its output;
# symtest must succeed silently.
symbolize() {
	"$B/$1" "${@:2}" >"$IN"
	run --separate-stderr "$B/symtest" "$IN"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
}

# frames LABEL: the frames symtest printed for LABEL, without the label.
frames() {
	printf '%s\n' "$output" | grep "^$1	" | cut -f2-
}

# hex_of FIELD-FROM-INPUT: value of `pc LABEL ADDR` or `module BIAS ... PATH`.
pc_of() { awk -v l="$1" '$1 == "pc" && $2 == l { print $3 }' "$IN"; }
bias_of() { awk -v p="$1" '$1 == "module" && $5 == p { print $2; exit }' "$IN"; }

# pc_frame SOURCE LABEL FUNCTION MODULE: LABEL's one frame, FUNCTION at
# the line of sym_pc("LABEL") in SOURCE, in MODULE.
pc_frame() {
	[ "$(frames "$2")" = "$3	$1:$(line_of "$1" "sym_pc(\"$2\")")	$4" ]
}

# lib_frame LABEL FUNCTION LIB: LABEL's one frame, FUNCTION at the line of
# sym_pc("LABEL") in the library's source, in module LIB.
lib_frame() {
	pc_frame "$ROOT/tests/tools/sym_dl_lib.c" "$@"
}

# cc_frame LABEL FUNCTION: sym_cc's frame of LABEL, FUNCTION at the line
# of sym_pc("LABEL") in sym_cc.cc.
cc_frame() {
	symbolize sym_cc
	pc_frame "$P/sym_cc.cc" "$1" "$2" "$B/sym_cc"
}

@test "a plain C call chain: each caller at the line of its call" {
	symbolize sym_c
	pc_frame "$P/sym_c.c" leaf leaf "$B/sym_c"
	[ "$(frames caller-of-leaf)" = "middle	$P/sym_c.c:$(line_of "$P/sym_c.c" '	leaf();')	$B/sym_c" ]
	pc_frame "$P/sym_c.c" main main "$B/sym_c"
}

@test "a static function" {
	symbolize sym_c
	pc_frame "$P/sym_c.c" static leaf_static "$B/sym_c"
}

@test "a C function renamed with an asm label keeps its C name" {
	symbolize sym_c
	pc_frame "$P/sym_c.c" asm-label labelled "$B/sym_c"
}

@test "a position-dependent executable (bias 0)" {
	symbolize sym_c_nopie
	[ "$(bias_of "$B/sym_c_nopie")" = 0 ]
	pc_frame "$P/sym_c.c" leaf leaf "$B/sym_c_nopie"
	[ "$(frames caller-of-leaf)" = "middle	$P/sym_c.c:$(line_of "$P/sym_c.c" '	leaf();')	$B/sym_c_nopie" ]
}

# start_of FILE FUNCTION: the offset of FUNCTION in FILE (unstripped), as frames print it.
start_of() {
	nm "$1" | awk -v f="$2" '$3 == f { print $1 }' | sed 's/^0*//'
}

@test "a stripped executable: MODULE+0xOFFSET frames, of the start of the function from the unwind tables" {
	local exe=$B/sym_c_stripped
	symbolize sym_c_stripped
	[ "$(frames leaf)" = "sym_c_stripped+0x$(start_of "$B/sym_c" leaf)	?:0	$exe" ]
	[ "$(frames static)" = "sym_c_stripped+0x$(start_of "$B/sym_c" leaf_static)	?:0	$exe" ]
	[ "$(frames main)" = "sym_c_stripped+0x$(start_of "$B/sym_c" main)	?:0	$exe" ]
}

@test "a stripped program recorded: each static function one frame, however many call sites it has" {
	local out=$BATS_TEST_TMPDIR/rec.mft
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$B/sym_strip_stripped"
	[ "$stderr" = "" ]
	run -0 "$BIN/mf-leaks" "$out"
	# main's two calls and two_blocks' two mallocs: one stack, all 62 bytes.
	[ "$(grep -v '^#' <<<"$output" | sed 's/^.*__libc_start_call_main ([^)]*);//')" = \
	  "sym_strip_stripped+0x$(start_of "$B/sym_strip" main) (sym_strip_stripped);sym_strip_stripped+0x$(start_of "$B/sym_strip" two_blocks) (sym_strip_stripped) 62" ]
}

@test "an address in a module but in no function is MODULE+0xOFFSET of the call site" {
	symbolize sym_c
	# symtest was given the ELF header's address + 0x11: the call site is 0x10 in.
	[ "$(frames header)" = "sym_c+0x10	?:0	$B/sym_c" ]
}

@test "a symbol without a size covers its section only: not the PLT after _init" {
	local exe=$B/sym_c init plt
	init=$(readelf -SW "$exe" | awk '$2 == ".init" { print $4 }')
	plt=$(readelf -SW "$exe" | awk '$2 == ".plt" { print $4 }')
	# _init has no size in the symbol table.
	[ "$(nm -S "$exe" | awk '$NF == "_init" { print NF }')" = 3 ]
	printf 'module 0 0 100000 %s\npc init %x\npc plt %x\n' "$exe" \
		$((0x$init + 5)) $((0x$plt + 0x11)) >"$IN"
	run -0 --separate-stderr "$B/symtest" "$IN"
	# The PLT has one entry in the unwind tables: named by its start.
	[ "$(printf '%s\n' "$output" | cut -f1-3)" = "init	_init	?:0
plt	sym_c+0x$(printf '%x' $((0x$plt)))	?:0" ]
}

@test "an address in no module is 0xADDRESS of the call site" {
	symbolize sym_c
	[ "$(frames nowhere)" = "0x10	?:0	?" ]
}

@test "a C++ method in a namespace, demangled with its parameters" {
	cc_frame method "ns::Cls::method(int)"
}

@test "a C++ constructor, which GCC's DWARF gives no linkage name" {
	cc_frame constructor "ns::Cls::Cls(int)"
}

@test "a function template instance" {
	cc_frame template "int twice<int>(int)"
}

@test "a lambda, which has no DWARF scope around its code" {
	cc_frame lambda "main::{lambda(int)#1}::operator()(int) const"
}

@test "libstdc++ template code compiled into the program, at its header's line" {
	symbolize sym_cc
	run -0 frames allocate-caller
	[[ "$output" =~ ^"std::allocator_traits<ReportingAllocator<int> >::allocate(ReportingAllocator<int>&, unsigned long)	/usr/include/c++/"[0-9]+"/bits/alloc_traits.h:"[1-9][0-9]*"	$B/sym_cc"$ ]]
}

@test "an inlined call chain: one address, a frame per inlined call, innermost first" {
	symbolize sym_inline
	local src=$P/sym_inline.c
	[ "$(frames inlined)" = "inner	$src:$(line_of "$src" 'sym_pc("inlined")')	$B/sym_inline
outer	$src:$(line_of "$src" '	inner();')	$B/sym_inline
main	$src:$(line_of "$src" '	outer();')	$B/sym_inline" ]
}

@test "a library loaded with dlopen, its module added after other lookups" {
	symbolize sym_dl "$B/libsym_dl.so"
	pc_frame "$P/sym_dl.c" before-dlopen main "$B/sym_dl"
	lib_frame lib-entry sym_dl_entry "$B/libsym_dl.so"
	lib_frame lib-static dl_static "$B/libsym_dl.so"
}

@test "a stripped library: dynamic symbols by name, the rest as MODULE+0xOFFSET of their start" {
	local lib=$B/libsym_dl_stripped.so
	symbolize sym_dl "$lib"
	[ "$(frames lib-entry)" = "sym_dl_entry	?:0	$lib" ]
	[ "$(frames lib-static)" = "libsym_dl_stripped.so+0x$(start_of "$B/libsym_dl.so" dl_static)	?:0	$lib" ]
}

@test "a stripped library with a separate debug file matched by build id" {
	symbolize sym_dl "$B/libsym_dl_split.so"
	lib_frame lib-entry sym_dl_entry "$B/libsym_dl_split.so"
	lib_frame lib-static dl_static "$B/libsym_dl_split.so"
}

@test "a stripped library without build id, its debug file matched by debuglink CRC" {
	symbolize sym_dl "$B/libsym_dl_crc.so"
	lib_frame lib-static dl_static "$B/libsym_dl_crc.so"
}

@test "a debug file with compressed sections, as distributions ship them" {
	symbolize sym_dl "$B/libsym_dl_zlib.so"
	lib_frame lib-entry sym_dl_entry "$B/libsym_dl_zlib.so"
	lib_frame lib-static dl_static "$B/libsym_dl_zlib.so"
}

@test "the inflated copy of a debug file has every section's bytes, none compressed" {
	local debug=$B/libsym_dl_zlib.so.debug copy=$BATS_TEST_TMPDIR/copy ref=$BATS_TEST_TMPDIR/ref
	readelf -SW "$debug" | grep -q '\.debug_info .* C '	# the file is what the test is about
	run "$B/inflatetest" "$debug" "$copy"
	[ "$status" -eq 0 ]
	[ "$output" = copied ]
	objcopy --decompress-debug-sections "$debug" "$ref"
	local names
	names=$(readelf -SW "$ref" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p')
	[ "$(readelf -SW "$copy" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p')" = "$names" ]
	readelf -SW "$copy" >"$BATS_TEST_TMPDIR/sections"
	run -1 grep -E '^ *\[ *[0-9]+\] .* [A-Z]*C[A-Z]* +[0-9]+ +[0-9]+ +[0-9]+$' "$BATS_TEST_TMPDIR/sections"
	for name in $names; do
		[ "$(readelf -x "$name" "$copy" 2>&1)" = "$(readelf -x "$name" "$ref" 2>&1)" ]
	done
}

@test "a debug file whose compressed sections do not inflate is left to libdw, which reads its symbols" {
	local dir=$BATS_TEST_TMPDIR/damaged
	mkdir "$dir"
	cp "$B/libsym_dl_zlib.so" "$B/libsym_dl_zlib.so.debug" "$dir/"
	local off
	off=$(readelf -SW "$dir/libsym_dl_zlib.so.debug" | awk '$2 == ".debug_info" { print $5 }')
	# 16 bytes of the zlib stream, after the 24-byte compression header.
	printf '\377%.0s' {1..16} | dd of="$dir/libsym_dl_zlib.so.debug" bs=1 seek=$((0x$off + 24)) conv=notrunc status=none
	run "$B/inflatetest" "$dir/libsym_dl_zlib.so.debug" "$BATS_TEST_TMPDIR/copy"
	[ "$output" = unchanged ]
	symbolize sym_dl "$dir/libsym_dl_zlib.so"
	[ "$(frames lib-entry)" = "sym_dl_entry	?:0	$dir/libsym_dl_zlib.so" ]
	[ "$(frames lib-static)" = "dl_static	?:0	$dir/libsym_dl_zlib.so" ]
}

@test "files that are not compressed ELF files are not copied" {
	run "$B/inflatetest" "$B/libsym_dl_split.so.debug" "$BATS_TEST_TMPDIR/copy"
	[ "$output" = unchanged ]
	printf 'not an ELF file\n' >"$BATS_TEST_TMPDIR/text"
	run "$B/inflatetest" "$BATS_TEST_TMPDIR/text" "$BATS_TEST_TMPDIR/copy"
	[ "$output" = unchanged ]
	head -c 100 "$B/libsym_dl_zlib.so.debug" >"$BATS_TEST_TMPDIR/cut"
	run "$B/inflatetest" "$BATS_TEST_TMPDIR/cut" "$BATS_TEST_TMPDIR/copy"
	[ "$output" = unchanged ]
	: >"$BATS_TEST_TMPDIR/empty"
	run "$B/inflatetest" "$BATS_TEST_TMPDIR/empty" "$BATS_TEST_TMPDIR/copy"
	[ "$output" = unchanged ]
	[ ! -e "$BATS_TEST_TMPDIR/copy" ]
}

@test "a debug file that does not belong to the library is not used" {
	local dir=$BATS_TEST_TMPDIR/wrong
	mkdir "$dir"
	cp "$B/libsym_dl_crc.so" "$B/libsym_dl_split.so" "$dir/"
	# Each debuglink now names the other library's debug file.
	cp "$B/libsym_dl_split.so.debug" "$dir/libsym_dl_crc.so.debug"
	cp "$B/libsym_dl_crc.so.debug" "$dir/libsym_dl_split.so.debug"
	symbolize sym_dl "$dir/libsym_dl_crc.so"
	[ "$(frames lib-entry)" = "sym_dl_entry	?:0	$dir/libsym_dl_crc.so" ]
	symbolize sym_dl "$dir/libsym_dl_split.so"
	[ "$(frames lib-entry)" = "sym_dl_entry	?:0	$dir/libsym_dl_split.so" ]
}

@test "a module file that cannot be read, or is not ELF, is MODULE+0xOFFSET, said once" {
	cat >"$IN" <<-EOF
	module 1000 1000 2000 /nonexistent/libgone.so
	module 5000 5000 6000 $P/sym_c.c
	pc gone 1235
	pc text 5101
	pc gone-again 1236
	EOF
	run --separate-stderr "$B/symtest" "$IN"
	[ "$status" -eq 0 ]
	[ "$stderr" = "symtest: cannot read module '/nonexistent/libgone.so': No such file or directory
symtest: cannot read module '$P/sym_c.c': not an ELF file" ]
	[ "$output" = "gone	libgone.so+0x234	?:0	/nonexistent/libgone.so
text	sym_c.c+0x100	?:0	$P/sym_c.c
gone-again	libgone.so+0x235	?:0	/nonexistent/libgone.so" ]
}

@test "a module path that is a FIFO or a directory is not read, and nothing blocks" {
	mkfifo "$BATS_TEST_TMPDIR/libfifo.so"
	cat >"$IN" <<-EOF
	module 1000 1000 2000 $BATS_TEST_TMPDIR/libfifo.so
	module 5000 5000 6000 $BATS_TEST_TMPDIR
	pc fifo 1235
	pc dir 5101
	EOF
	run -0 --separate-stderr timeout 60 "$B/symtest" "$IN"
	[ "$stderr" = "symtest: cannot read module '$BATS_TEST_TMPDIR/libfifo.so': not a regular file
symtest: cannot read module '$BATS_TEST_TMPDIR': not a regular file" ]
	[ "$output" = "fifo	libfifo.so+0x234	?:0	$BATS_TEST_TMPDIR/libfifo.so
dir	${BATS_TEST_TMPDIR##*/}+0x100	?:0	$BATS_TEST_TMPDIR" ]
}

@test "a debug file that is a FIFO is not read, and nothing blocks" {
	local dir=$BATS_TEST_TMPDIR/fifo
	mkdir "$dir"
	cp "$B/libsym_dl_crc.so" "$dir/"
	mkfifo "$dir/libsym_dl_crc.so.debug"
	"$B/sym_dl" "$dir/libsym_dl_crc.so" >"$IN"
	run -0 --separate-stderr timeout 60 "$B/symtest" "$IN"
	[ "$stderr" = "" ]
	[ "$(frames lib-entry)" = "sym_dl_entry	?:0	$dir/libsym_dl_crc.so" ]
}

@test "the same address twice, and a module added twice, give the same frames" {
	symbolize sym_c
	{ cat "$IN"; grep '^module' "$IN"; grep '^pc leaf ' "$IN"; } >"$IN.2"
	local first
	first=$(frames leaf)
	run --separate-stderr "$B/symtest" "$IN.2"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | grep '^leaf	' | cut -f2- | sort -u)" = "$first" ]
	[ "$(printf '%s\n' "$output" | grep -c '^leaf	')" -eq 2 ]
}

@test "an address looked up before its module is added is resolved once it is" {
	"$B/sym_c" >"$BATS_TEST_TMPDIR/all"
	{ grep '^pc leaf ' "$BATS_TEST_TMPDIR/all"; cat "$BATS_TEST_TMPDIR/all"; } >"$IN"
	run --separate-stderr "$B/symtest" "$IN"
	[ "$status" -eq 0 ]
	local pc
	pc=$(printf '%x' $((0x$(pc_of leaf | head -1) - 1)))
	[ "$(frames leaf)" = "0x$pc	?:0	?
leaf	$P/sym_c.c:$(line_of "$P/sym_c.c" 'sym_pc("leaf")')	$B/sym_c" ]
}

@test "the extreme addresses 0 and 2^64-1 are frames like any other" {
	printf 'module 0 0 ffffffffffffffff /nonexistent/all\npc max ffffffffffffffff\npc max ffffffffffffffff\npc zero 0\npc one 1\n' >"$IN"
	run -0 --separate-stderr "$B/symtest" "$IN"
	[ "$output" = "max	all+0xfffffffffffffffe	?:0	/nonexistent/all
max	all+0xfffffffffffffffe	?:0	/nonexistent/all
zero	all+0x0	?:0	/nonexistent/all
one	all+0x0	?:0	/nonexistent/all" ]
}

@test "source paths are cleaned: no . or dir/.. components" {
	# The library includes "../progs/sym_common.h" from tests/tools.
	local lib=$B/libsym_dl.so off
	off=$(nm "$lib" | awk '$3 == "sym_print" { print $1 }')
	printf 'module 10000000 10000000 10100000 %s\npc entry %x\n' \
		"$lib" $((0x10000000 + 0x$off + 2)) >"$IN"
	run -0 --separate-stderr "$B/symtest" "$IN"
	# The function's first instructions are on the line of its "{".
	[ "$output" = "entry	sym_print	$P/sym_common.h:$(($(line_of "$P/sym_common.h" 'void sym_print(') + 1))	$lib" ]
}

@test "of modules mapped at the same place, the one added last wins" {
	local lib=$B/libsym_dl.so exe=$B/sym_c a b
	a=$(nm "$lib" | awk '$3 == "sym_dl_entry" { print $1 }')
	b=$(nm "$exe" | awk '$3 == "leaf" { print $1 }')
	# As if lib were unloaded, exe loaded in its place, then lib again;
	# each address is looked up first after its module was added.
	cat >"$IN" <<-EOF
	module 10000000 10000000 10100000 $lib
	pc first $(printf '%x' $((0x10000000 + 0x$a + 2)))
	module 10000000 10000000 10100000 $exe
	pc second $(printf '%x' $((0x10000000 + 0x$b + 2)))
	module 10000000 10000000 10100000 $lib
	pc third $(printf '%x' $((0x10000000 + 0x$a + 3)))
	EOF
	run -0 --separate-stderr "$B/symtest" "$IN"
	[ "$(printf '%s\n' "$output" | cut -f1,2,4)" = "first	sym_dl_entry	$lib
second	leaf	$exe
third	sym_dl_entry	$lib" ]
}

@test "debuginfod is never asked, even when DEBUGINFOD_URLS is set" {
	# libstdc++ has no local debug information: the standard libdwfl
	# callback would ask the server (and say so, verbosely).
	"$B/sym_cc" >"$IN"
	local lib bias
	lib=$(awk '$1 == "module" && $5 ~ /libstdc\+\+/ { print $5; exit }' "$IN")
	bias=$(bias_of "$lib")
	printf 'pc lib %x\n' $((0x$bias + 0x1001)) >>"$IN"
	DEBUGINFOD_URLS=http://127.0.0.1:9 DEBUGINFOD_VERBOSE=1 \
		run --separate-stderr "$B/symtest" "$IN"
	[ "$status" -eq 0 ]
	[ "$stderr" = "" ]
	[[ "$(frames lib)" = *"	?:0	$lib" ]]
}

@test "symtest: a malformed line is an input error naming file and line" {
	printf 'module 0 0 10 /bin/true\npc x 12g\n' >"$IN"
	run -1 --separate-stderr "$B/symtest" "$IN"
	[ "$stderr" = "symtest: $IN:2: expected a hexadecimal address, got '12g'" ]
	printf 'pc onlylabel\n' >"$IN"
	run -1 --separate-stderr "$B/symtest" "$IN"
	[ "$stderr" = "symtest: $IN:1: expected 'module BIAS START END PATH' or 'pc LABEL ADDRESS'" ]
}

@test "symtest: usage errors exit 2, --help exits 0" {
	run -2 --separate-stderr "$B/symtest" a b
	[ "${stderr%%$'\n'*}" = "symtest: wrong number of arguments" ]
	run -0 "$B/symtest" --help
	[ "${output%%$'\n'*}" = "usage: symtest [FILE]" ]
}

# --- module files in a recording: opened while the program maps them ---

# module_frames STREAM PATH: "FUNCTION FILE:LINE" of the F records of
# module PATH, in stream order.
module_frames() {
	awk -v path="$2" '
	$1 == "M" { m = $3; for (i = 4; i <= NF; i++) m = m " " $i; if (m == path) id = $2 }
	$1 == "F" && id != "" && $3 == id { fn = $6; for (i = 7; i <= NF; i++) fn = fn " " $i; print fn, $4 ":" $5 }' "$1"
}

# The frames of an allocation in sym_load_lib.c, read from the right file.
load_lib_frames() {
	local src=$ROOT/tests/tools/sym_load_lib.c
	echo "sym_load_entry $src:$(line_of "$src" 'return load_inner(n);')
load_inner $src:$(line_of "$src" 'return malloc(n);')"
}

# Opening a module through /proc/PID/map_files needs root (CAP_SYS_ADMIN).
needs_map_files() {
	[ "$(id -u)" = 0 ] || skip "only root opens /proc/PID/map_files"
}

# In a user namespace even root cannot open /proc/PID/map_files.
needs_user_namespace() {
	unshare --user --map-root-user true || skip "cannot create a user namespace here"
}

@test "a library replaced at its path after it was loaded is read from the file mapped" {
	needs_map_files
	local dir=$BATS_TEST_TMPDIR/swap out=$BATS_TEST_TMPDIR/rec.mft
	mkdir "$dir"
	cp "$B/libsym_load.so" "$dir/"
	cp "$B/libsym_load_decoy.so" "$dir/new.so"
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$B/sym_load" swap "$dir/libsym_load.so" "$dir/new.so"
	[ "$stderr" = "" ]
	# The path now holds the decoy, whose functions are totally_different_*.
	nm -D "$dir/libsym_load.so" | grep -q totally_different_function
	[ "$(module_frames "$out" "$dir/libsym_load.so")" = "$(load_lib_frames)" ]
}

@test "a library loaded by a relative path after a chdir is not looked for in the recorder's directory" {
	needs_map_files
	local dir=$BATS_TEST_TMPDIR/there here=$BATS_TEST_TMPDIR/here out=$BATS_TEST_TMPDIR/rec.mft
	mkdir "$dir" "$here"
	cp "$B/libsym_load.so" "$dir/"
	# A decoy of the same name where the recorder runs.
	cp "$B/libsym_load_decoy.so" "$here/libsym_load.so"
	cd "$here"
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$B/sym_load" chdir "$dir" ./libsym_load.so
	[ "$stderr" = "" ]
	# The module is named by its absolute path in the program's directory.
	[ "$(module_frames "$out" "$(cd "$dir" && pwd -P)/libsym_load.so")" = "$(load_lib_frames)" ]
}

@test "without map_files, a relative path is opened in the program's directory and checked" {
	needs_user_namespace
	local dir=$BATS_TEST_TMPDIR/there here=$BATS_TEST_TMPDIR/here out=$BATS_TEST_TMPDIR/rec.mft
	mkdir "$dir" "$here"
	cp "$B/libsym_load.so" "$dir/"
	cp "$B/libsym_load_decoy.so" "$here/libsym_load.so"
	cd "$here"
	run -0 --separate-stderr unshare --user --map-root-user \
		"$BIN/mf-record" -o "$out" "$B/sym_load" chdir "$dir" ./libsym_load.so
	[ "$stderr" = "" ]
	[ "$(module_frames "$out" "$(cd "$dir" && pwd -P)/libsym_load.so")" = "$(load_lib_frames)" ]
}

@test "a library whose path became a FIFO: the recording ends, its frames are MODULE+0xOFFSET, one warning" {
	needs_user_namespace	# where map_files cannot be opened: the path is
	local dir=$BATS_TEST_TMPDIR/fifo out=$BATS_TEST_TMPDIR/rec.mft
	mkdir "$dir"
	cp "$B/libsym_load.so" "$dir/"
	# (SIGKILL: the program stops mf-record for a moment, see sym_load.c.)
	run -0 --separate-stderr timeout -s KILL 60 unshare --user --map-root-user \
		"$BIN/mf-record" -o "$out" "$B/sym_load" fifo "$dir/libsym_load.so"
	[ -p "$dir/libsym_load.so" ]
	[ "$stderr" = "mf-record: cannot read module '$dir/libsym_load.so': not a regular file" ]
	run -0 module_frames "$out" "$dir/libsym_load.so"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^libsym_load\.so\+0x[0-9a-f]+\ \?:0$ ]]
	[[ "${lines[1]}" =~ ^libsym_load\.so\+0x[0-9a-f]+\ \?:0$ ]]
}

# --- plugins unloaded and loaded again: each frame named by the module
# mapped there when the event happened ---

# plugin_leaks STREAM: the leaks of sym_plugins from plugin_run on, one
# line per stack.
plugin_leaks() {
	"$BIN/mf-leaks" "$1" | grep -v '^#' | sed -n 's/^.*;\(plugin_run (\)/\1/p'
}

# plugin_stack P BYTES: the leak of plugin P (a or b) as plugin_leaks prints it.
plugin_stack() {
	local src=$ROOT/tests/tools/sym_plugin_lib.c
	echo "plugin_run ($src:$(line_of "$src" "return NAMED(PLUGIN, _run)(n);"));$1_run ($src:$(line_of "$src" "return NAMED(PLUGIN, _leak)(n);"));$1_leak ($src:$(line_of "$src" 'return malloc(n);')) $2"
}

# plugins_leak LEAKS [OPTION...] -- ARG...: mf-record (with OPTIONs)
# records sym_plugins ARGs into $out silently, and the plugins' leaks, as
# plugin_leaks prints them, are LEAKS.
plugins_leak() {
	local want=$1 options=()
	shift
	while [ "$1" != -- ]; do
		options+=("$1")
		shift
	done
	shift
	run -0 --separate-stderr "$BIN/mf-record" "${options[@]}" -o "$out" "$B/sym_plugins" "$@"
	[ "$stderr" = "" ]
	[ "$(plugin_leaks "$out")" = "$want" ]
}

# The plugins' M records, by file name, sorted.
plugin_modules() {
	awk '$1 == "M" && $3 ~ /libplugin_/ { sub(/.*\//, "", $3); print $3 }' "$1" | sort
}

@test "two plugins loaded in turn at the same place, with the same code: each allocation under its own plugin's names" {
	local out=$BATS_TEST_TMPDIR/rec.mft
	# sym_plugins fails unless both land at the same place.
	plugins_leak "$(plugin_stack a 303)
$(plugin_stack b 603)" -- alternate - "$B/libplugin_a.so" "$B/libplugin_b.so"
	# A loaded again after B is sent again: two M records with one path
	# are one module to the readers, so each path has one.
	[ "$(plugin_modules "$out")" = "libplugin_a.so
libplugin_b.so" ]
}

@test "two plugins loaded in turn at the same place, aggregated: named as when they were allocated" {
	local out=$BATS_TEST_TMPDIR/rec.mft
	plugins_leak "$(plugin_stack a 303)
$(plugin_stack b 603)" --aggregate -- alternate - "$B/libplugin_a.so" "$B/libplugin_b.so"
}

@test "a plugin unloaded, another loaded elsewhere, the first loaded again" {
	local out=$BATS_TEST_TMPDIR/rec.mft
	# Two call sites in the host: A's first load and its second.
	plugins_leak "$(plugin_stack a 101)
$(plugin_stack a 100)
$(plugin_stack b 200)" -- elsewhere - "$B/libplugin_a.so" "$B/libplugin_b.so"
}

@test "plugins loaded in turn by relative paths after a chdir, decoys of their names where the recorder runs" {
	local dir=$BATS_TEST_TMPDIR/there here=$BATS_TEST_TMPDIR/here out=$BATS_TEST_TMPDIR/rec.mft
	mkdir "$dir" "$here"
	cp "$B/libplugin_a.so" "$B/libplugin_b.so" "$dir/"
	# Each decoy is the other plugin: read, it would swap the names.
	cp "$B/libplugin_b.so" "$here/libplugin_a.so"
	cp "$B/libplugin_a.so" "$here/libplugin_b.so"
	cd "$here"
	plugins_leak "$(plugin_stack a 303)
$(plugin_stack b 603)" -- alternate "$dir" ./libplugin_a.so ./libplugin_b.so
}

# --- Rust: both mangling schemes demangled, without hashes ---

# rust_record SCHEME: build tests/progs/sym_rust.rs with the machine's
# rustc and that symbol mangling scheme (legacy, rustc's default; v0) and
# record it into $BATS_TEST_TMPDIR/rec.mft.
rust_record() {
	local rustc
	rustc=$(command -v rustc || echo "$HOME/.cargo/bin/rustc")
	[ -x "$rustc" ] || {
		echo "these tests need rustc (on PATH or in ~/.cargo/bin)" >&2
		return 1
	}
	local scheme=()
	[ "$1" = legacy ] || scheme=(-C symbol-mangling-version="$1")
	"$rustc" -g -C opt-level=0 "${scheme[@]}" \
		-o "$BATS_TEST_TMPDIR/sym_rust" "$P/sym_rust.rs"
	run -0 --separate-stderr "$BIN/mf-record" -o "$BATS_TEST_TMPDIR/rec.mft" "$BATS_TEST_TMPDIR/sym_rust"
	[ "$stderr" = "" ]
}

# rust_frame FUNCTION TEXT: the F record of FUNCTION at the line of TEXT in sym_rust.rs, as "LINE FUNCTION".
rust_frame() {
	awk -v src="$P/sym_rust.rs" -v fn="$1" '$1 == "F" && $4 == src {
		f = $6; for (i = 7; i <= NF; i++) f = f " " $i; if (f == fn) print $5, f }' "$BATS_TEST_TMPDIR/rec.mft"
}

# No frame keeps a legacy hash or escape, or is a bare v0 name.
no_mangled_rust() {
	run -1 grep -E '^F [0-9]+ [0-9]+ [^ ]+ [0-9]+ (_R|.*(::h[0-9a-f]{16}|[$](LT|GT|u20|C|RF)[$]|_ZN))' "$BATS_TEST_TMPDIR/rec.mft"
}

# bats test_tags=slow
@test "Rust, legacy mangling: generic methods and closures by their source names, no hash" {
	rust_record legacy
	[ "$(rust_frame 'sym_rust::Stack<T>::push_copies')" = "$(line_of "$P/sym_rust.rs" 'self.items.push(x.clone());') sym_rust::Stack<T>::push_copies" ]
	[ "$(rust_frame 'sym_rust::boxed_by_closure::{{closure}}')" = "$(line_of "$P/sym_rust.rs" 'Box::new(n)') sym_rust::boxed_by_closure::{{closure}}" ]
	grep -q '^F [0-9]* [0-9]* [^ ]* [0-9]* <alloc::string::String as core::clone::Clone>::clone$' "$BATS_TEST_TMPDIR/rec.mft"
	no_mangled_rust
}

# bats test_tags=slow
@test "Rust, v0 mangling: generic methods with their types and closures, not bare names" {
	rust_record v0
	[ "$(rust_frame '<sym_rust::Stack<alloc::string::String>>::push_copies')" = "$(line_of "$P/sym_rust.rs" 'self.items.push(x.clone());') <sym_rust::Stack<alloc::string::String>>::push_copies" ]
	[ "$(rust_frame 'sym_rust::boxed_by_closure::{closure#0}')" = "$(line_of "$P/sym_rust.rs" 'Box::new(n)') sym_rust::boxed_by_closure::{closure#0}" ]
	no_mangled_rust
}

# bats test_tags=slow
@test "generated code named from the perf map: a Node program's functions with their bytes" {
	local out=$BATS_TEST_TMPDIR/rec.mft js=$P/sym_node.js node pid
	node=$(command -v node) || {
		echo "this test needs node (Debian's nodejs)" >&2
		return 1
	}
	cd "$BATS_TEST_TMPDIR"	# node writes its isolate-*-v8.log files here
	# No tiering up: a function V8 compiles again partway (~ interpreted,
	# ^ baseline) would be two frames, its bytes split between them.
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$node" --perf-basic-prof \
		--interpreted-frames-native-stack --no-sparkplug --no-opt "$js"
	[ "$stderr" = "" ]
	pid=$(awk '$1 == "H" { print $4 }' "$out")
	rm -f "/tmp/perf-$pid.map"
	grep -qx "M [0-9]* /tmp/perf-$pid.map" "$out"
	# The buffers held at the peak, all 1310910 bytes on one stack under
	# outer() calling grow() calling node's allocUnsafeSlow(), by their
	# names and the lines the map gives (where each function starts).
	run -0 "$BIN/mf-peak" "$out"
	[ "$(grep -v '^#' <<<"$output" | grep -F "JS:~outer ($js:$(line_of "$js" 'function outer()'));JS:~grow ($js:$(line_of "$js" 'function grow(n)'));JS:~allocUnsafeSlow (" |
		awk '$NF == 1310910' | wc -l)" = 1 ]
}

@test "glibc's source paths are joined with their compilation directory once" {
	local out=$BATS_TEST_TMPDIR/rec.mft
	run -0 --separate-stderr "$BIN/mf-record" -o "$out" "$B/rec_threads"
	# glibc's DWARF (libc6-dbg) names pthread_create.c in the compilation
	# directory "./nptl": gdb's ./nptl/pthread_create.c.
	grep -Eq '^F [0-9]+ [0-9]+ nptl/pthread_create\.c [1-9][0-9]* ' "$out"
	grep -Eq '^F [0-9]+ [0-9]+ elf/dl-tls\.c [1-9][0-9]* ' "$out"
	# Never nptl/nptl/pthread_create.c, elf/elf/dl-open.c, nor a folder
	# doubled further down a path.
	run -1 grep -E '^F [0-9]+ [0-9]+ ([^ ]*/)?([^/ ]+)/\2/' "$out"
	# (The pattern does find a doubled folder.)
	grep -Eq '^F [0-9]+ [0-9]+ ([^ ]*/)?([^/ ]+)/\2/' <<<'F 1 2 sysdeps/nptl/nptl/x.c 3 f' 
}

@test "module files stay open until their first lookup: 200 modules under a limit of 64 descriptors" {
	local lib=$B/libsym_dl.so off i
	off=$(nm "$lib" | awk '$3 == "sym_dl_entry" { print $1 }')
	for i in $(seq 1 200); do
		printf 'module %x %x %x %s\n' $((i << 24)) $((i << 24)) $(((i << 24) + 0x100000)) "$lib"
	done >"$IN"
	for i in $(seq 1 200); do
		printf 'pc m%d %x\n' "$i" $(((i << 24) + 0x$off + 2))
	done >>"$IN"
	run -0 --separate-stderr bash -c 'ulimit -S -n 64 && exec "$1" "$2"' - "$B/symtest" "$IN"
	[ "$stderr" = "" ]
	[ "$(printf '%s\n' "$output" | cut -f2 | sort | uniq -c | awk '{ print $1, $2 }')" = "200 sym_dl_entry" ]
}

# held_symtest DIR [OTHER]: in a user namespace (no map_files), sym_load
# holds DIR/libsym_load.so loaded (OTHER renamed over its path first)
# while symtest --pid looks up an address in it.
held_symtest() {
	unshare --user --map-root-user bash -c '
		coproc HELD { exec "$1/sym_load" hold "${@:3}"; }
		pid=$HELD_PID in=${HELD[1]}	# bash unsets HELD once it ends
		cat <&"${HELD[0]}" >"$2"
		"$1/symtest" --pid "$pid" "$2"
		status=$?
		eval "exec $in>&-"
		wait "$pid" && exit $status' - "$B" "$IN" "$1/libsym_load.so" "${@:2}"
}

@test "without map_files, the file at a library's path is read if its build id is the one in memory" {
	needs_user_namespace
	local dir=$BATS_TEST_TMPDIR/held src=$ROOT/tests/tools/sym_load_lib.c
	mkdir "$dir"
	cp "$B/libsym_load.so" "$dir/"
	run -0 --separate-stderr held_symtest "$dir"
	[ "$stderr" = "" ]
	[ "$output" = "lib	sym_load_entry	$src:$(($(line_of "$src" 'void *sym_load_entry(size_t n)') + 1))	$dir/libsym_load.so" ]
}

@test "without map_files, a file that replaced a library at its path is not read" {
	needs_user_namespace
	local dir=$BATS_TEST_TMPDIR/held off
	mkdir "$dir"
	cp "$B/libsym_load.so" "$dir/"
	cp "$B/libsym_load_decoy.so" "$dir/new.so"
	run -0 --separate-stderr held_symtest "$dir" "$dir/new.so"
	[ "$stderr" = "symtest: cannot read module '$dir/libsym_load.so': the file there is not the one that was loaded" ]
	off=$(printf '%x' $((0x$(pc_of lib) - 1 - 0x$(bias_of "$dir/libsym_load.so"))))
	[ "$output" = "lib	libsym_load.so+0x$off	?:0	$dir/libsym_load.so" ]
}

@test "symtest: --pid takes a process id" {
	run -2 --separate-stderr "$B/symtest" --pid 0 "$IN"
	[ "${stderr%%$'\n'*}" = "symtest: --pid takes a whole number from 1 to 2147483647, not '0'" ]
	run -2 --separate-stderr "$B/symtest" --pid x "$IN"
	[ "${stderr%%$'\n'*}" = "symtest: --pid takes a whole number from 1 to 2147483647, not 'x'" ]
}
