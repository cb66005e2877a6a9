#!/usr/bin/env bats
# zstd captures: mf-record -o FILE.zst writes zstd that zstd's own tools
# read, and every reader takes zstd (told by its magic number, not its
# name) as it takes plain text and gzip: from a file or standard input, in
# one frame or several.  A zstd stream cut short or corrupt is an input
# error naming the line where its text stops.
#
# Two recordings serve the whole file (setup_file): cap, small, goes
# through every reader; big, more than 8 MiB of text, through one: the
# readers decompress it in their second thread (lib/input.c starts it
# after 4 MiB of text), and mf-record's output thread went round its
# queue of eight 1 MiB buffers (writer_output.h) to write it.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	"$BIN/mf-record" -o cap.mft.zst "$PROGS/rec_churn" 5000 2
	zstdcat cap.mft.zst > cap.mft
	gzip -c cap.mft > cap.mft.gz
	"$BIN/mf-record" -o big.mft.zst "$PROGS/rec_churn" 300000 2
	zstdcat big.mft.zst > big.mft
}

setup() {
	cd "$BATS_FILE_TMPDIR"
}

# READERS: each reader of event streams, with the options that change
# what it reads (one per line).
READERS=$(cat <<'EOF'
mf-peak
mf-leaks
mf-fold
mf-fold --temporary
mf-temporal
EOF
)

# same_as_plain INPUT [FILE]: every reader gives on INPUT (a file name;
# - with FILE as standard input; pipe: FILE through a pipe) exactly what
# it gives on the plain capture.
same_as_plain() {
	local reader
	while read -r -a reader; do
		"$BIN/${reader[0]}" "${reader[@]:1}" cap.mft > expected
		if [ "$1" = - ]; then
			run -0 --separate-stderr "$BIN/${reader[0]}" "${reader[@]:1}" - < "$2"
		elif [ "$1" = pipe ]; then
			run -0 --separate-stderr "$BIN/${reader[0]}" "${reader[@]:1}" - < <(cat "$2")
		else
			run -0 --separate-stderr "$BIN/${reader[0]}" "${reader[@]:1}" "$1"
		fi
		[ "$stderr" = "" ] || { echo "${reader[*]} $*: $stderr"; return 1; }
		[ "$output" = "$(cat expected)" ] || { echo "${reader[*]} $*: output differs"; return 1; }
	done <<<"$READERS"
}

# reads_as_plain PLAIN PROGRAM ARG...: PROGRAM with ARGs (its input in
# another form, or on standard input) exits 0 and writes exactly what it
# writes on the plain file PLAIN.
reads_as_plain() {
	local plain=$1 prog=$2
	shift 2
	"$BIN/$prog" "$plain" > expected
	run -0 --separate-stderr "$BIN/$prog" "$@"
	[ "$output" = "$(cat expected)" ]
}

@test "mf-record -o FILE.zst writes zstd that zstd, zstdcat and zstdgrep read" {
	run -0 zstd -t -q cap.mft.zst
	run -0 zstd -d -q -c cap.mft.zst
	[ "${lines[0]:0:9}" = "H 2 full " ]
	[ "${lines[-1]:0:2}" = "E " ]
	# rec_churn makes 5000 allocations a thread, and its two threads.
	run -0 zstdgrep -c '^E [0-9]* 10002 10000 0 0 exit 0$' cap.mft.zst
	[ "$output" = 1 ]
	[ "$(zstdcat cap.mft.zst | grep -c '^a ')" = 10002 ]
	# One frame, with the checksum of its text.
	run -0 zstd -l -v cap.mft.zst
	[[ "$output" == *"Check: XXH64"* ]]
	# Far smaller than the text: compressed, not stored.
	[ $(($(stat -c %s big.mft.zst) * 3)) -lt "$(stat -c %s big.mft)" ]
}

@test "every reader reads zstd, gzip and plain alike, from a file" {
	same_as_plain cap.mft.zst
	same_as_plain cap.mft.gz
}

@test "every reader reads zstd from standard input: a file, and a pipe" {
	same_as_plain - cap.mft.zst
	same_as_plain pipe cap.mft.zst
}

@test "a long zstd capture is read in two threads, from a file and from a pipe" {
	[ "$(stat -c %s big.mft)" -gt $((8 << 20)) ]
	reads_as_plain big.mft mf-peak big.mft.zst
	reads_as_plain big.mft mf-temporal - < <(cat big.mft.zst)
	gzip -1 -c big.mft > big.mft.gz
	reads_as_plain big.mft mf-leaks big.mft.gz
}

@test "the format is told by the data, not by the name" {
	cp cap.mft.zst capture.gz
	cp cap.mft.gz capture.zst
	same_as_plain capture.gz
	same_as_plain capture.zst
}

@test "concatenated zstd frames, split inside a line, and a skippable frame, read as one stream" {
	local size
	size=$(stat -c %s cap.mft)
	{
		head -c 1000 cap.mft | zstd -q -c
		# A skippable frame: magic 0x184d2a53, 4 bytes of content.
		printf '\x53\x2a\x4d\x18\x04\x00\x00\x00skip'
		head -c $((size / 2)) cap.mft | tail -c +1001 | zstd -q -c
		tail -c +$((size / 2 + 1)) cap.mft | zstd -q -c
	} > frames.zst
	cmp <(zstdcat frames.zst) cap.mft
	same_as_plain frames.zst
	same_as_plain pipe frames.zst
}

# first_lines N [CAPTURE]: the first N lines of CAPTURE (cap.mft) as one zstd frame.
first_lines() {
	head -n "$1" "${2:-cap.mft}" | zstd -q -c
}

@test "a zstd stream cut short is an input error naming the line where its text stops" {
	# A whole frame of 100 lines, then the first 20 bytes of a second
	# frame: its header, and not one whole block.
	{ first_lines 100; tail -n +101 cap.mft | zstd -q -c | head -c 20; } > cut.mft.zst
	local reader
	for reader in mf-peak mf-leaks mf-fold mf-temporal; do
		run -1 --separate-stderr "$BIN/$reader" cut.mft.zst
		[ "$stderr" = "$reader: cut.mft.zst:101: truncated or corrupt zstd input: unexpected end of file" ]
		[ "$output" = "" ]
	done
	run -1 --separate-stderr "$BIN/mf-peak" - < cut.mft.zst
	[ "$stderr" = "mf-peak: -:101: truncated or corrupt zstd input: unexpected end of file" ]
	# Cut inside its first frame header: line 1.
	head -c 5 cap.mft.zst > header.zst
	run -1 --separate-stderr "$BIN/mf-peak" header.zst
	[ "$stderr" = "mf-peak: header.zst:1: truncated or corrupt zstd input: unexpected end of file" ]
}

@test "a long zstd stream cut short: the error comes from the decompressing thread, at the same line" {
	# 500000 lines (more than 4 MiB of text: the second thread reads them).
	[ "$(head -n 500000 big.mft | wc -c)" -gt $((4 << 20)) ]
	{ first_lines 500000 big.mft; tail -n +500001 big.mft | zstd -q -c | head -c 20; } > longcut.zst
	run -1 --separate-stderr "$BIN/mf-peak" longcut.zst
	[ "$stderr" = "mf-peak: longcut.zst:500001: truncated or corrupt zstd input: unexpected end of file" ]
	[ "$output" = "" ]
	run -1 --separate-stderr "$BIN/mf-leaks" - < <(cat longcut.zst)
	[ "$stderr" = "mf-leaks: -:500001: truncated or corrupt zstd input: unexpected end of file" ]
}

@test "corrupt zstd: bytes that are no frame, and a checksum that does not match" {
	{ first_lines 100; printf 'not a zstd frame\n'; } > garbage.zst
	run -1 --separate-stderr "$BIN/mf-peak" garbage.zst
	[ "$stderr" = "mf-peak: garbage.zst:101: truncated or corrupt zstd input: unknown frame descriptor" ]
	# A frame of five lines whose checksum (its last 4 bytes) is changed:
	# libzstd gives none of the text of the call that finds it wrong.
	tail -n +101 cap.mft | head -n 5 | zstd -q -c > five.zst
	local size
	size=$(stat -c %s five.zst)
	{ first_lines 100; head -c $((size - 1)) five.zst; tail -c 1 five.zst | tr '\000-\377' '\001-\377\000'; } > sum.zst
	run -1 --separate-stderr "$BIN/mf-leaks" sum.zst
	[ "$stderr" = "mf-leaks: sum.zst:101: truncated or corrupt zstd input: restored data doesn't match checksum" ]
	[ "$output" = "" ]
}

@test "a plain file that starts like no known format is read as text" {
	printf '(\xb5/ not zstd\n' > paren.mft
	run -1 --separate-stderr "$BIN/mf-peak" paren.mft
	[ "$stderr" = "mf-peak: paren.mft:1: expected the header 'H 2 KIND PID START_MS INTERVAL_MS ARGV' of an event stream" ]
}

@test "mf-record --aggregate -o FILE.zst" {
	run -0 --separate-stderr "$BIN/mf-record" --aggregate -o agg.mft.zst "$PROGS/rec_churn" 1000 2
	zstdcat agg.mft.zst > agg.mft
	[ "$(head -1 agg.mft | cut -d' ' -f1-3)" = "H 2 aggregate" ]
	[ "$(tail -1 agg.mft | cut -d' ' -f1)" = "E" ]
	reads_as_plain agg.mft mf-peak agg.mft.zst
	reads_as_plain agg.mft mf-leaks - < agg.mft.zst
}

@test "the filters write .zst with -o, and read folded stacks in zstd" {
	"$BIN/mf-peak" cap.mft > peak.folded
	run -0 --separate-stderr "$BIN/mf-peak" -o peak.folded.zst cap.mft.zst
	cmp <(zstdcat peak.folded.zst) peak.folded
	reads_as_plain peak.folded mf-invert peak.folded.zst
	reads_as_plain peak.folded mf-fold - < peak.folded.zst
}

@test "mf flamegraph names the report of a .zst capture without .zst" {
	mkdir -p report && cd report
	run -0 --separate-stderr "$BIN/mf" flamegraph ../cap.mft.zst
	[ "$stderr" = "mf: wrote mf-flamegraph-cap.mft.html" ]
	"$BIN/mf-peak" ../cap.mft | "$BIN/mf-html" > expected.html
	cmp expected.html mf-flamegraph-cap.mft.html
}

@test "a .zst capture is one frame with a 16 MiB window, which zstd -d reads without --long, and so does every reader" {
	run -0 zstd -lv big.mft.zst
	[[ "$output" == *"# Zstandard Frames: 1"* ]]
	[[ "$output" == *"Window Size: 16.0 MiB (16777216 B)"* ]]
	[[ "$output" == *"Check: XXH64"* ]]
	# Not more than 16 MiB of memory for the window: 8 is too little.
	cmp <(zstd -d -c --memory=16MB big.mft.zst) big.mft
	run -1 zstd -d -c --memory=8MB big.mft.zst
	[[ "$output" == *"Window size larger than maximum : 16777216 > 8388608"* ]]
	while read -r reader; do
		# shellcheck disable=SC2086  # $reader is a program and its options
		"$BIN"/$reader big.mft > expected
		# shellcheck disable=SC2086
		run -0 --separate-stderr "$BIN"/$reader big.mft.zst
		[ "$output" = "$(cat expected)" ]
		# shellcheck disable=SC2086
		run -0 --separate-stderr "$BIN"/$reader - < big.mft.zst
		[ "$output" = "$(cat expected)" ]
	done <<< "$READERS"
}

@test "numbers the readers' fast path leaves to the general one (20 digits, leading zeros) read the same, across chunk boundaries" {
	# Every f's BACK written with 20 digits, every a's SIZE with 19 (the
	# longest the fast path takes): lines of 30 to 50 bytes, so that many
	# cross the 64 KiB chunks of the reader.
	# (An f of "+N" or "-N" stays as it is.)
	awk '$1 == "f" && $3 ~ /^[0-9]+$/ { $3 = sprintf("%020d", $3) }
	     $1 == "a" && NF == 4 { $4 = sprintf("%019d", $4) } { print }' big.mft | zstd -q -c > padded.mft.zst
	[ "$(zstdcat padded.mft.zst | grep -c '^f [0-9]* [0-9]\{20\}$')" = "$(grep -c '^f [0-9]* [0-9]*$' big.mft)" ]
	while read -r reader; do
		# shellcheck disable=SC2086  # $reader is a program and its options
		"$BIN"/$reader big.mft > expected
		# shellcheck disable=SC2086
		run -0 --separate-stderr "$BIN"/$reader padded.mft.zst
		[ "$output" = "$(cat expected)" ]
	done <<< "$READERS"
	# 21 digits: the general parser's message, though the fast path saw it first.
	{ head -n 200 big.mft | awk '$1 == "f" && $3 ~ /^[0-9]+$/ && !done { $3 = "1" sprintf("%020d", $3); done = 1 } { print }'; } > long.mft
	line=$(grep -n '^f [0-9]* [0-9]\{21\}$' long.mft | cut -d: -f1)
	run -1 --separate-stderr "$BIN/mf-peak" long.mft
	[ "$stderr" = "mf-peak: long.mft:$line: expected BACK as a whole number of at most 20 digits, found '$(sed -n "${line}p" long.mft | cut -d' ' -f3)'" ]
}

# Issue 11, item 8, for zstd (which came later): what an input declares
# never chooses the readers' memory.  A line of 512 MiB in a few KB of
# zstd is an input error at its line; a frame that asks for a 2 GiB window,
# and a skippable frame that says it is 4 GiB long but stops, are errors
# naming the file and line; none takes more than the line limit's buffer.
# bats test_tags=slow
@test "hostile zstd: a 512 MiB line, a 2 GiB window, a skippable frame cut short: one line each, exit 1, bounded memory" {
	# One frame of the line, after a frame of an event stream's or folded stacks' first line.
	head -c $((512 << 20)) /dev/zero | tr '\0' a | zstd -q -1 -c > line.zst
	{ printf '# format="mf-folded/1"\n' | zstd -q -c; cat line.zst; } > huge.zst
	{ printf 'H 2 full 1 0 10 x\n' | zstd -q -c; cat line.zst; } > huge.mft.zst
	local prog file kb
	for prog in mf-peak mf-leaks mf-temporal mf-fold mf-invert mf-html; do
		case $prog in mf-peak|mf-leaks|mf-temporal) file=huge.mft.zst ;; *) file=huge.zst ;; esac
		run -1 --separate-stderr "$BIN/$prog" "$file"
		[ "$stderr" = "$prog: $file:2: line longer than 64 MiB" ]
		kb=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$BIN/$prog" "$file")
		echo "$prog: peak RSS $kb kB" >&3
		[ "$kb" -lt $((256 << 10)) ]
	done
	run -1 --separate-stderr "$BIN/mf-diff" "$DATA/html_plain.folded" huge.zst
	[ "$stderr" = "mf-diff: huge.zst:2: line longer than 64 MiB" ]
	# A frame header's window descriptor (its sixth byte) set to 2^31 bytes.
	printf 'main;a 10\n' | zstd -q --no-check --no-content-size -c > small.zst
	{ head -c 5 small.zst; printf '\250'; tail -c +7 small.zst; } > window.zst
	run -1 --separate-stderr "$BIN/mf-fold" window.zst
	[ "$stderr" = "mf-fold: window.zst:1: truncated or corrupt zstd input: frame requires too much memory for decoding" ]
	run -1 --separate-stderr "$BIN/mf-diff" - small.zst < window.zst
	[ "$stderr" = "mf-diff: -:1: truncated or corrupt zstd input: frame requires too much memory for decoding" ]
	# A whole frame, then a skippable frame declaring 0xfffffff0 bytes, 100 there.
	{ cat small.zst; printf '\x5f\x2a\x4d\x18\xf0\xff\xff\xff'; head -c 100 /dev/zero; } > skip.zst
	run -1 --separate-stderr "$BIN/mf-fold" skip.zst
	[ "$stderr" = "mf-fold: skip.zst:2: truncated or corrupt zstd input: unexpected end of file" ]
	[ "$output" = "" ]
}
