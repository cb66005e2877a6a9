#!/usr/bin/env bats
# The suite itself: no test file holds an assertion that cannot fail.
#
# Under bats (set -e), a line "! cmd" that is not the last of a test never
# fails it: bash ignores the status of a pipeline negated with !.  The same
# goes for every command of an && list but the last, so "[ a ] && [ b ]"
# never checks a.  Write "run ! cmd" (or "run -1 grep ..."), "! cmd ||
# false", and one assertion a line.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$ROOT"
}

# no_op_checks FILE...: print "FILE:LINE: text" for each line (outside
# here-documents) that starts with a bare "!", or that joins two tests
# with &&, unless it goes on with || (whose failure then counts).
no_op_checks() {
	awk '
	FNR == 1 { delim = "" }
	delim != "" {
		line = $0
		if (strip) sub(/^\t+/, "", line)
		if (line == delim) delim = ""
		next
	}
	{
		if ($0 !~ /<<</ && match($0, /<<-?[ \t]*["\047]?[A-Za-z_][A-Za-z_0-9]*/)) {
			d = substr($0, RSTART, RLENGTH)
			strip = d ~ /^<<-/
			sub(/^<<-?[ \t]*["\047]?/, "", d)
			delim = d
		}
	}
	/\|\|/ { next }
	/^[ \t]*![ \t]/ { print FILENAME ":" FNR ": " $0; next }
	/^[ \t]*(\[\[?|test)[ \t].*(\]\]?|[^&])[ \t]*&&[ \t]*(\[\[?|test|grep|cmp|diff|!)[ \t]/ {
		print FILENAME ":" FNR ": " $0
	}' "$@"
}

@test "suite: no test file has a bare ! line or an && list of assertions" {
	run -0 no_op_checks tests/*.bats
	[ "$output" = "" ]
}

@test "suite: the check finds every planted no-op, and only those" {
	local f=$BATS_TEST_TMPDIR/planted.bats
	# (No @test line: bats would take it for one of this file's.)
	cat >"$f" <<'EOF'
	! grep -q x file
	run ! grep -q x file
	! grep -q x file || false
	if ! grep -q x file; then false; fi
	  !	cmp a b
	[ 1 -ge 0 ] && [ 1 -lt 5 ]
	[[ a == a ]] && grep -q a file
	[ "$x" ] && y=1
	[ -n "$n" ] && [ -z "$m" ] || { echo bad; return 1; }
	cat <<-END
	! not a command
	[ a ] && [ b ]
	END
	cat <<'TXT'
! not a command either
TXT
	! last line
EOF
	run -0 no_op_checks "$f"
	[ "$output" = "$f:1: 	! grep -q x file
$f:5: 	  !	cmp a b
$f:6: 	[ 1 -ge 0 ] && [ 1 -lt 5 ]
$f:7: 	[[ a == a ]] && grep -q a file
$f:17: 	! last line" ]
}

# The sanitized pass leaves out the tests tagged browser (tests/run): a
# test that drives Chromium without the tag would run there for nothing.
@test "suite: every test that drives Chromium is tagged browser" {
	run -0 tests/tools/untagged-browser-tests tests/*.bats
	[ "$output" = "" ]
}

@test "suite: the tag check finds planted untagged browser tests, and only those" {
	local f=$BATS_TEST_TMPDIR/planted.bats n='node tests/brow''ser' r='browser''_ready'
	# (Spelled apart, so that this test does not read as one that drives Chromium.)
	printf '%s\n' \
		"page() { $r || return 1; $n/check.mjs \"\$@\"; }" \
		'twice() { page a; page b; }' \
		"@test \"direct\" { $n/check.mjs x; }" \
		'# bats test_tags=browser' \
		'@test "tagged" { page x; }' \
		'@test "through two functions" {' \
		'	twice' \
		'}' \
		'@test "no browser" { pager x; }' >"$f"
	run -0 tests/tools/untagged-browser-tests "$f"
	[ "$output" = "$f:3: @test \"direct\" { $n/check.mjs x; }
$f:6: @test \"through two functions\" {" ]
}
