#!/usr/bin/env bats
# Every program has a man page beside its code (mf/mf.1, mf-NAME/mf-NAME.1)
# that man renders without a warning and that names every option its
# --help names; make install puts the programs and the pages in place.

bats_require_minimum_version 1.5.0

load helpers

# The programs: every mf* executable the build made.
programs() {
	local f
	for f in "$BIN"/mf*; do
		if [ -x "$f" ] && [ "${f%.so}" = "$f" ]; then basename "$f"; fi
	done
}

page_of() {
	if [ "$1" = mf ]; then echo "$ROOT/mf/mf.1"; else echo "$ROOT/$1/$1.1"; fi
}

@test "manpages: the build made the programs this file checks" {
	[ "$(programs | tr '\n' ' ')" = "mf mf-diff mf-fold mf-html mf-invert mf-leaks mf-peak mf-record mf-temporal " ]
}

@test "manpages: every program has one, and man renders it without a warning" {
	for p in $(programs); do
		page=$(page_of "$p")
		[ -f "$page" ] || { echo "$p has no man page $page"; return 1; }
		run -0 --separate-stderr env MANWIDTH=80 man --warnings -l "$page"
		[ "$stderr" = "" ] || { echo "$page: $stderr"; return 1; }
		[ "${lines[0]%% *}" = "${p^^}(1)" ]
		# The text is justified: the spaces around the dash vary.
		[[ "$output" =~ NAME[[:space:]]+"$p"\ +-\ +[a-z] ]]
	done
}

@test "manpages: every option --help names is in the man page" {
	for p in $(programs); do
		text=$(MANWIDTH=200 man -l "$(page_of "$p")" 2>/dev/null)
		help=$("$BIN/$p" --help)
		[ "$p" = mf ] && help+=$("$BIN/mf" run --help; "$BIN/mf" flamegraph --help; "$BIN/mf" attach --help)
		for opt in $(grep -o -- '--[a-z][a-z-]*' <<<"$help" | sort -u); do
			[[ "$text" == *"$opt"* ]] || { echo "$p: $opt is in --help, not in the man page"; return 1; }
		done
	done
}

@test "manpages: make install puts every program and its man page under DESTDIR" {
	d=$BATS_TEST_TMPDIR/dest
	# -o all: install what this suite tests (MF_BIN), without building.
	run -0 make -C "$ROOT" --no-print-directory -o all install DESTDIR="$d" PREFIX=/usr BIN="$BIN"
	for p in $(programs); do
		[ -x "$d/usr/bin/$p" ]
		cmp "$(page_of "$p")" "$d/usr/share/man/man1/$p.1"
	done
	[ -f "$d/usr/lib/mf/libmf-record.so" ]
	[ "$(ls "$d/usr/share/man/man1" | LC_ALL=C sort | tr '\n' ' ')" = "$(programs | sed 's/$/.1/' | LC_ALL=C sort | tr '\n' ' ')" ]
	run -0 env MANPATH="$d/usr/share/man" man -w mf-record
	[ "$output" = "$d/usr/share/man/man1/mf-record.1" ]
}
