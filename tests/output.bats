#!/usr/bin/env bats
# The output rule every program that takes -o follows (lib/output.h):
# "-" is standard output; a regular file (or a new path) is replaced
# atomically, a symbolic link to one keeps being a link; anything else
# (a device, a FIFO) is written in place; without -f an existing path is
# refused.  Each case runs every program.

bats_require_minimum_version 1.5.0

load helpers

PROGRAMS="mf-peak mf-leaks mf-fold mf-invert mf-temporal mf-html mf-record mf_flamegraph mf_run
	mf-diff mf_flamegraph_diff mf-record_p mf_attach"

setup() {
	cd "$ROOT"
	# Not BATS_TEST_TMPDIR itself, where run --separate-stderr keeps files.
	T=$BATS_TEST_TMPDIR/w
	mkdir "$T"
	CAPTURE=$ROOT/tests/data/html_capture.mft
	FOLDED=$ROOT/tests/data/html_plain.folded
}

# write PROG PATH [-f]: run PROG on a small valid input, its result to PATH.
write() {
	local prog=$1 path=$2; shift 2
	case $prog in
	mf-peak|mf-leaks|mf-fold|mf-temporal) "$BIN/$prog" "$@" -o "$path" "$CAPTURE" ;;
	mf-invert|mf-html) "$BIN/$prog" "$@" -o "$path" "$FOLDED" ;;
	mf-record) "$BIN/mf-record" "$@" -o "$path" "$PROGS/rec_basic" ;;
	mf_flamegraph) "$BIN/mf" flamegraph "$@" -o "$path" "$CAPTURE" ;;
	mf_run) "$BIN/mf" run "$@" -o "$path" "$PROGS/rec_basic" ;;
	mf-diff) "$BIN/mf-diff" "$@" -o "$path" "$FOLDED" "$FOLDED" ;;
	mf_flamegraph_diff) "$BIN/mf" flamegraph "$@" -o "$path" --diff "$CAPTURE" "$CAPTURE" ;;
	mf-record_p) attached "$BIN/mf-record" "$path" "$@" ;;
	mf_attach) attached "$BIN/mf attach" "$path" "$@" ;;
	esac
}

# attached COMMAND PATH [-f]: COMMAND -p (mf-record) or mf attach, on
# attach_prog once, its result to PATH; the program is gone after.
attached() {
	local command=$1 path=$2 prog status=0 i; shift 2
	"$PROGS/attach_prog" once >"$BATS_TEST_TMPDIR/prog.out" 2>&1 3>&- &
	prog=$!
	for i in $(seq 1 3000); do
		grep -qx ready "$BATS_TEST_TMPDIR/prog.out" && break
		sleep 0.01
	done
	case $command in
	*mf-record) $command -p "$prog" "$@" -o "$path" || status=$? ;;
	*) $command "$@" -o "$path" "$prog" || status=$? ;;
	esac
	kill -KILL "$prog" 2>/dev/null || true
	wait "$prog" 2>/dev/null || true
	return $status
}

# The first line every program's result starts with.
first_line() {
	case $1 in
	mf-html|mf_flamegraph*) echo '<!DOCTYPE html>' ;;
	mf-record*|mf_run|mf_attach) echo 'H 2 full' ;;
	*) echo '# format="mf-folded/1"' ;;
	esac
}

no_temporary() {
	[ "$(find "$1" -name '.*.mf-*' | wc -l)" = 0 ]
}

starts_right() {
	[[ "$(head -c 60 "$2")" == "$(first_line "$1")"* ]]
}

@test "output: -o - is standard output, not a file named '-'" {
	cd "$T"
	for p in $PROGRAMS; do
		write "$p" - -f > "out.$p" 2> err
		starts_right "$p" "out.$p"
		[ ! -e ./- ]
	done
}

@test "output: a new path is created with 0666 less the umask, no temporary file left" {
	cd "$T"
	for p in $PROGRAMS; do
		mkdir "d.$p"
		(umask 027 && write "$p" "d.$p/out" 2> err)
		starts_right "$p" "d.$p/out"
		[ "$(stat -c %a "d.$p/out")" = 640 ]
		[ "$(ls -A "d.$p")" = out ]
	done
}

@test "output: -f replaces a regular file atomically: a new inode, its mode kept, no temporary file left" {
	cd "$T"
	for p in $PROGRAMS; do
		mkdir "d.$p"
		echo old > "d.$p/out"
		chmod 604 "d.$p/out"
		ln "d.$p/out" "hardlink.$p"
		before=$(stat -c %i "d.$p/out")
		write "$p" "d.$p/out" -f 2> err
		starts_right "$p" "d.$p/out"
		[ "$(stat -c %i "d.$p/out")" != "$before" ]
		[ "$(stat -c %a "d.$p/out")" = 604 ]
		[ "$(ls -A "d.$p")" = out ]
		# A reader holding the old file (here, a hard link) still sees it whole.
		[ "$(cat "hardlink.$p")" = old ]
	done
}

@test "output: without -f an existing path is refused, with the exact message, and left alone" {
	cd "$T"
	mkfifo fifo
	ln -s nowhere dangling
	for p in $PROGRAMS; do
		echo precious > "keep.$p"
		name=${p/_run/-record}
		name=${name/_attach/-record}	# mf run passes -o on: mf-record refuses
		name=${name/_*}
		run -1 --separate-stderr write "$p" "keep.$p"
		[ "$stderr" = "$name: 'keep.$p' already exists; use -f to overwrite it" ]
		[ "$(cat "keep.$p")" = precious ]
		for other in fifo dangling; do
			run -1 --separate-stderr write "$p" "$other"
			[ "$stderr" = "$name: '$other' already exists; use -f to overwrite it" ]
		done
	done
	[ -p fifo ]
	[ -L dangling ]
	no_temporary .
}

# A character device like /dev/null (the same device numbers), made here so
# that a regression replaces this node, not the system's /dev/null.
make_null() {
	mknod "$1" c "$(stat -c '%Hr' /dev/null)" "$(stat -c '%Lr' /dev/null)" ||
		skip "cannot make a device node here (mknod needs root)"
}

@test "output: -f -o on a character device (like /dev/null) writes into it, it stays a device" {
	cd "$T"
	make_null null
	for p in $PROGRAMS; do
		run -0 --separate-stderr write "$p" null -f
		[ -c null ]
		[ "$(stat -c '%t:%T' null)" = "$(stat -c '%t:%T' /dev/null)" ]
	done
	[ "$(ls -A)" = null ]
}

@test "output: -f -o /dev/stdout writes to standard output in place" {
	cd "$T"
	for p in $PROGRAMS; do
		write "$p" /dev/stdout -f > "out.$p" 2> err
		starts_right "$p" "out.$p"
	done
	[ -c /dev/null ]
}

@test "output: -f -o on a FIFO writes into it, read by a background reader" {
	cd "$T"
	for p in $PROGRAMS; do
		mkfifo "fifo.$p"
		cat "fifo.$p" > "read.$p" &
		reader=$!
		write "$p" "fifo.$p" -f 2> err
		wait "$reader"
		[ -p "fifo.$p" ]
		starts_right "$p" "read.$p"
	done
	no_temporary .
}

@test "output: -f -o on a symbolic link keeps the link and replaces the file it points to" {
	cd "$T"
	mkdir target
	for p in $PROGRAMS; do
		echo old > "target/file.$p"
		chmod 640 "target/file.$p"
		ln -s "target/file.$p" "link.$p"
		ln -s "link.$p" "link2.$p"	# a link to a link: followed to the end
		before=$(stat -c %i "target/file.$p")
		write "$p" "link2.$p" -f 2> err
		[ -L "link.$p" ]
		[ -L "link2.$p" ]
		[ "$(readlink "link2.$p")" = "link.$p" ]
		[ "$(readlink "link.$p")" = "target/file.$p" ]
		[ -f "target/file.$p" ]
		[ "$(stat -c %i "target/file.$p")" != "$before" ]
		[ "$(stat -c %a "target/file.$p")" = 640 ]
		starts_right "$p" "target/file.$p"
	done
	no_temporary target
}

@test "output: -f -o on a dangling symbolic link creates the file it names" {
	cd "$T"
	for p in $PROGRAMS; do
		ln -s "made.$p" "dangling.$p"
		write "$p" "dangling.$p" -f 2> err
		[ -L "dangling.$p" ]
		starts_right "$p" "made.$p"
	done
}

@test "output: a directory, or a path in a missing directory, cannot be written" {
	cd "$T"
	mkdir dir
	for p in $PROGRAMS; do
		name=${p/_run/-record}
		name=${name/_attach/-record}
		name=${name/_*}
		run -1 --separate-stderr write "$p" nodir/out
		[ "$stderr" = "$name: cannot create 'nodir/out': No such file or directory" ]
		run -1 --separate-stderr write "$p" dir -f
		[ "$stderr" = "$name: cannot create 'dir': Is a directory" ]
	done
	[ "$(ls -A)" = dir ]
	[ "$(ls -A dir)" = "" ]
}

@test "output: a failing pipeline leaves the file it would replace as it was, and no temporary file" {
	cd "$T"
	echo old > out
	printf 'H 2 full 1 0 10 x\nZ\n' > bad.mft
	run -1 --separate-stderr "$BIN/mf" flamegraph -f -o out bad.mft
	[ "$stderr" = "mf-peak: bad.mft:2: unknown record type 'Z' (expected one of H M F S T t m a f P L K X E)" ]
	[ "$(cat out)" = old ]
	[ "$(ls -A)" = "bad.mft
out" ]
}

# PROG -f -o out: big.folded, with files of at most 1 KiB (ulimit -f 1) and
# EFBIG instead of SIGXFSZ beyond: run runs it in a subshell, which keeps
# both to itself.
write_too_large() {
	trap '' XFSZ
	ulimit -f 1
	"$BIN/$1" -f -o out big.folded
}

@test "output: a write error removes the temporary file and leaves the old file as it was" {
	cd "$T"
	seq -f 'main;f%g 1' 1000 > big.folded
	echo old > out
	for p in mf-fold mf-invert mf-html; do
		run -1 --separate-stderr write_too_large "$p"
		[ "$stderr" = "$p: cannot write 'out': File too large" ]
		[ "$(cat out)" = old ]
		[ "$(ls -A)" = "big.folded
out" ]
	done
}

@test "output: --help is checked output: a full disk is exit 1 with the reason" {
	for p in mf-peak mf-leaks mf-fold mf-invert mf-temporal mf-html mf-record; do
		run -1 --separate-stderr sh -c '"$0" --help > /dev/full' "$BIN/$p"
		[ "$output" = "" ]
		[ "$stderr" = "$p: cannot write 'standard output': No space left on device" ]
	done
	for args in --help "run --help" "flamegraph --help"; do
		run -1 --separate-stderr sh -c '"$0" '"$args"' > /dev/full' "$BIN/mf"
		[ "$stderr" = "mf: cannot write 'standard output': No space left on device" ]
	done
}

# The temporary file is ".NAME.mf-XXXXXX", 11 bytes longer than NAME: a
# name of 245 to 255 bytes, which the file system takes, could not be
# written ("File name too long").  Its NAME is now cut short to fit, at a
# character (a name of two-byte characters here), and a name that does
# not fit says so.
@test "output: a name that fits is written however long, through a temporary name cut short; a name too long is refused" {
	cd "$T"
	name=$(printf '%0250d' 0)
	for p in $PROGRAMS; do
		write "$p" "$name" 2> err
		starts_right "$p" "$name"
		[ "$(ls -A | LC_ALL=C sort)" = "$name
err" ]
		rm "$name"
		run -1 --separate-stderr write "$p" "${name}xxxxxx"
		name_of=${p/_run/-record}
		name_of=${name_of/_attach/-record}
		name_of=${name_of/_*}
		[ "$stderr" = "$name_of: cannot create '${name}xxxxxx': its name is 256 bytes long, more than the 255 its directory takes" ]
		[ "$(ls -A)" = err ]
	done
	# The temporary file while mf-record records: NAME cut to 244 bytes,
	# here 122 two-byte characters, not 122 and a half.
	wide=$(printf 'é%.0s' $(seq 125))
	mkfifo go
	"$BIN/mf-record" -o "$wide" sh -c 'read line < go' &
	for i in $(seq 1 3000); do
		[ -n "$(find . -name '.*.mf-*')" ] && break
		sleep 0.01
	done
	temp=$(find . -name '.*.mf-*')
	echo >go
	wait $!
	[[ "$temp" =~ ^\./\.$(printf 'é%.0s' $(seq 122))\.mf-......$ ]]
	[ "$(ls -A | LC_ALL=C sort)" = "err
go
$wide" ]
	[ "$(head -c 8 "$wide")" = "H 2 full" ]
}
