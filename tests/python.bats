#!/usr/bin/env bats
# Python programs: their Python frames woven into the native stacks, on
# every CPython the machine has that mf-record understands: pyenv's 3.11,
# 3.12 and 3.13 and Debian's python3.11 (stripped).  The programs are
# tests/progs/py_*.py: the three examples of memray's flame graph page and
# py_features.py (threads, generators, asyncio, json, recursion, exec).
# A test that needs an interpreter fails naming it when it is missing.
#
# Recordings are made once per file (under $BATS_FILE_TMPDIR) the first
# time a test needs them: Python starts slowly and libpython's debug
# information takes a while to read.

bats_require_minimum_version 1.5.0
load helpers

PY=$ROOT/tests/progs

# pyenv's root, found once: `pyenv root` is a script of its own, and each
# test asks for three interpreters.
setup_file() {
	export PYENV_ROOT_OF_TESTS=${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}
}

setup() {
	cd "$ROOT"
}

# pyenv_python MINOR: pyenv's python3.MINOR, or fail naming it.
pyenv_python() {
	local root=$PYENV_ROOT_OF_TESTS p
	for p in "$root"/versions/3.$1.*/bin/python3; do
		if [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	echo "no CPython 3.$1 from pyenv under $root/versions" >&2
	return 1
}

# The interpreters every Python test runs on, one path a line.
pythons() {
	pyenv_python 11
	pyenv_python 12
	pyenv_python 13
	if [ ! -x /usr/bin/python3.11 ]; then
		echo "no Debian /usr/bin/python3.11 (package python3.11)" >&2
		return 1
	fi
	echo /usr/bin/python3.11
}

# capture PYTHON PROGRAM: the capture of PROGRAM (a file of tests/progs)
# run by PYTHON (with -S: no site module, a faster start), recorded the
# first time; the program's standard error goes to the same path with .err.
capture() {
	local key cap
	key=$(echo "$1 $2" | md5sum | cut -c1-12)
	cap=$BATS_FILE_TMPDIR/$key.mft
	if [ ! -e "$cap" ]; then
		"$BIN/mf-record" -o "$cap.part" "$1" -S "$PY/$2" 2>"$cap.err" >/dev/null || {
			echo "recording $2 with $1 failed:" >&2
			cat "$cap.err" >&2
			return 1
		}
		mv "$cap.part" "$cap"
	fi
	echo "$cap"
}

# report REDUCER PYTHON PROGRAM [OPTION]: the file of REDUCER's output (with
# OPTION) on that capture, made the first time.
report() {
	local cap out
	cap=$(capture "$2" "$3") || return 1
	out=$cap.$1$4
	if [ ! -e "$out" ]; then
		"$BIN/$1" $4 "$cap" >"$out.part" || {
			echo "$1 $4 failed on the capture of $3 with $2" >&2
			return 1
		}
		mv "$out.part" "$out"
	fi
	echo "$out"
}

# own FILE: "FUNCTION BYTES" for each Python function of FILE, the bytes of
# the stacks whose last frame of FILE is it (what its own box shows when
# CPython's frames are hidden).
own() {
	awk -v file="$1" '
	/^#/ { next }
	{
		n = split(substr($0, 1, length($0) - length($NF) - 1), f, ";"); fn = ""
		for (i = 1; i <= n; i++)
			if (index(f[i], " (" file ":")) fn = substr(f[i], 1, index(f[i], " (") - 1)
		if (fn != "") b[fn] += $NF
	}
	END { for (fn in b) print fn, b[fn] }'
}

# big: the stack lines of 50 kB or more (the tests' own allocations, not
# the list growing that keeps them).
big() {
	awk '!/^#/ && $NF >= 50000'
}

# bytes TEXT: the bytes of the stack lines that contain TEXT.
bytes() {
	awk -v s="$1" '!/^#/ && index($0, s) { n += $NF } END { print n + 0 }'
}

# one_big TEXT FILE: the one stack line of FILE of 50 kB or more that
# contains TEXT; fails, saying what it found, when there is none or several.
# FILE's big lines are kept in FILE.big the first time: a report of
# py_features.py is 45 MB, and one test looks in it 40 times a Python.
one_big() {
	local line
	if [ ! -e "$2.big" ]; then
		big <"$2" >"$2.big.part"
		mv "$2.big.part" "$2.big"
	fi
	line=$(grep -F "$1" "$2.big")
	if [ -z "$line" ] || [ "$(wc -l <<<"$line")" != 1 ]; then
		echo "not one stack of 50 kB or more with $1 in $2 but:" >&2
		echo "$line" >&2
		return 1
	fi
	echo "$line"
}

# each_python CHECK [REDUCER PROGRAM [OPTION]]: the function CHECK run
# with each interpreter of pythons, whose path goes to the output first:
# `CHECK PYTHON`, or with REDUCER `CHECK PYTHON REPORT`, REPORT the file
# of report's REDUCER (with OPTION) on PROGRAM run by PYTHON.
each_python() {
	local python pys out
	pys=$(pythons)
	for python in $pys; do
		echo "# $python"
		if [ $# -eq 1 ]; then
			"$1" "$python"
		else
			out=$(report "$2" "$python" "$3" "${4:-}")
			"$1" "$python" "$out"
		fi
	done
}

# bats test_tags=slow
@test "python: the seed's simple example: c and d of equal width under b under a" {
	check() {
		local python=$1 peak=$2 f=$PY/py_simple.py
		c=$(bytes ";<module> ($f:13);a ($f:2);b ($f:5);c ($f:8);" <"$peak")
		d=$(bytes ";<module> ($f:13);a ($f:2);b ($f:5);d ($f:11);" <"$peak")
		echo "# c $c d $d"
		[ "$c" -ge 100000 ]
		[ "$c" -lt 100100 ]
		[ "$c" = "$d" ]
		# Below c, only CPython's C code: no Python frame.
		below=$(grep -F ";c ($f:8);" "$peak")
		[ -n "$below" ]
		[ "$(wc -l <<<"$below")" = 1 ]
		below=${below#*";c ($f:8);"}
		[[ "$below" != *".py:"* ]]
		[[ "$below" == *" ("*")"* ]]
	}
	each_python check mf-peak py_simple.py
}

# bats test_tags=slow
@test "python: the seed's complete example: g widest, b four times h, d's own half of e, no missing" {
	check() {
		local python=$1 peak=$2 f=$PY/py_complete.py
		mine=$(own "$f" <"$peak")
		echo "$mine"
		g=$(awk '$1 == "g" { print $2 }' <<<"$mine")
		e=$(awk '$1 == "e" { print $2 }' <<<"$mine")
		i=$(awk '$1 == "i" { print $2 }' <<<"$mine")
		d=$(awk '$1 == "d" { print $2 }' <<<"$mine")
		[ "$(sort -k2,2n <<<"$mine" | tail -1 | cut -d' ' -f1)" = g ]
		[ "$g" -ge 200000 ]
		[ "$g" -gt "$e" ]
		[ "$g" -gt "$i" ]
		# d's own part is its "a" * (n // 2) and its list: half of e's, within 1%.
		[ "$((200 * d / e))" -ge 99 ]
		[ "$((200 * d / e))" -le 101 ]
		b=$(bytes ";a ($f:2);b ($f:5);c ($f:9);d ($f:15);" <"$peak")
		h=$(bytes ";a ($f:2);h ($f:27);i ($f:30);" <"$peak")
		[ "$b" = "$(bytes ";a ($f:2);b ($f:5);" <"$peak")" ]
		[ "$h" = "$(bytes ";a ($f:2);h ($f:27);" <"$peak")" ]
		[ "$((b * 10 / h))" -ge 34 ]
		[ "$((b * 10 / h))" -le 40 ]
		[ "$(bytes "missing ($f:" <"$peak")" = 0 ]
	}
	each_python check mf-peak py_complete.py
}

# bats test_tags=slow
@test "python: the seed's inverted example: a three times a1 at the root of the inverted graph" {
	check() {
		local python=$1 peak=$2 f=$PY/py_inverted.py
		inverted=$peak.inverted
		$BIN/mf-invert "$peak" >"$inverted"
		# The innermost Python frame of each inverted stack: the root once
		# CPython's frames are hidden (of 10 kB or more: <module> itself
		# allocates its functions).
		roots=$(awk -v file="$f" '
		/^#/ { next }
		{
			n = split(substr($0, 1, length($0) - length($NF) - 1), fr, ";")
			for (i = 1; i <= n; i++)
				if (index(fr[i], " (" file ":")) { b[fr[i]] += $NF; break }
		}
		END { for (r in b) if (b[r] >= 10000) print b[r], r }' "$inverted" | sort -n)
		echo "$roots"
		[ "$(wc -l <<<"$roots")" = 2 ]
		a1=$(sed -n 1p <<<"$roots")
		a=$(sed -n 2p <<<"$roots")
		[ "${a1#* }" = "a1 ($f:5)" ]
		[ "${a#* }" = "a ($f:2)" ]
		[ "${a1%% *}" -ge 1000000 ]
		[ "${a%% *}" = "$((3 * ${a1%% *}))" ]
		# a's callers, innermost first: b, then c (from d and from g).
		[ "$(bytes ";a ($f:2);b ($f:8);c ($f:11);g ($f:23);" <"$inverted")" = "$((2 * ${a1%% *}))" ]
		[ "$(bytes ";a ($f:2);b ($f:8);d ($f:14);main ($f:27);" <"$inverted")" = "${a1%% *}" ]
	}
	each_python check mf-peak py_inverted.py
}

# bats test_tags=slow
@test "python: two threading threads, each its own stack under Thread.run" {
	check() {
		local python=$1 leaks=$2 f=$PY/py_features.py
		# thread N FUNCTION LINE MIN MAX: FUNCTION's one stack is thread N's
		# and under Thread.run, of MIN bytes or more and less than MAX.
		thread() {
			local stack
			stack=$(one_big "$2 ($f:$3);" "$leaks")
			[[ "$stack" == "thread $1 ("*");"* ]]
			[[ "$stack" == *"Thread.run ("*"/threading.py:"*");"*"$2 ($f:$3);"* ]]
			[ "${stack##* }" -ge "$4" ]
			[ "${stack##* }" -lt "$5" ]
		}
		thread 2 worker_one 13 111111 111200
		thread 3 worker_two 17 222222 222300
	}
	each_python check mf-leaks py_features.py --split-threads
}

# bats test_tags=slow
@test "python: a generator and an asyncio coroutine sit below their callers" {
	check() {
		local python=$1 leaks=$2 f=$PY/py_features.py
		gen=$(one_big "generator ($f:28);" "$leaks")
		coro=$(one_big "coroutine ($f:37);" "$leaks")
		[[ "$gen" == *";main ($f:73);use_generator ($f:32);"*";generator ($f:28);"* ]]
		[[ "$coro" == *";main ($f:74);use_coroutine ($f:41);run ("*"/asyncio/runners.py:"*";coroutine ($f:37);"* ]]
		[ "${gen##* }" -ge 333333 ]
		[ "${coro##* }" -ge 444444 ]
	}
	each_python check mf-leaks py_features.py
}

# bats test_tags=slow
@test "python: json.loads keeps its C frames below the Python caller" {
	check() {
		local python=$1 leaks=$2 f=$PY/py_features.py
		line=$(one_big ";parse ($f:51);loads (" "$leaks")
		[[ "$line" == *";parse ($f:51);loads ("*"/json/__init__.py:"*");JSONDecoder.decode ("*"/json/decoder.py:"*");JSONDecoder.raw_decode ("*"/json/decoder.py:"*");"* ]]
		# After raw_decode: native frames only, at least the decoder's.
		below=${line##*/json/decoder.py:}
		below=${below#*;}
		echo "# below: $below"
		[[ "$below" != *".py:"* ]]
		[[ "$below" == *";"* ]]
		if [ "$python" != /usr/bin/python3.11 ]; then
			[[ "$below" == *"scan_once_unicode ("* ]]
		fi
	}
	each_python check mf-leaks py_features.py
}

# bats test_tags=slow
@test "python: a recursion 1000 deep keeps its innermost 128 Python frames under <STACK TOO DEEP>" {
	check() {
		local python=$1 leaks=$2 f=$PY/py_features.py
		line=$(one_big "recurse ($f:46);" "$leaks")
		want="<STACK TOO DEEP>;"
		for i in $(seq 127); do want="${want}recurse ($f:47);"; done
		want="${want}recurse ($f:46);"
		[[ "$line" == "$want"* ]]
		[ "${line##* }" -ge 555555 ]
	}
	each_python check mf-leaks py_features.py
}

# bats test_tags=slow
@test "python: exec'd code objects freed and replaced at the same address keep their own names and lines" {
	check() {
		local python=$1 leaks=$2 f=$PY/py_features.py
		cap=$(capture "$python" py_features.py)
		# The program counts the code objects it saw at an address used before.
		run -0 cat "$cap.err"
		[[ "$output" =~ ^reused\ ([0-9]+)$ ]]
		[ "${BASH_REMATCH[1]}" -gt 0 ]
		for i in $(seq 0 39); do
			name=$(printf 'f%02d' "$i")
			line=$(one_big ";$name (<string>:" "$leaks")
			[[ "$line" == *";exec_replaced ($f:66);$name (<string>:$((i % 5 + 2)));"* ]]
			[ "${line##* }" -ge $((700000 + i)) ]
			[ "${line##* }" -lt $((700000 + i + 100)) ]
		done
	}
	each_python check mf-leaks py_features.py
}

# bats test_tags=slow
@test "python: frames of module [python], one M record, files as the code names them" {
	local python f=$PY/py_simple.py
	python=$(pyenv_python 12)
	cap=$(capture "$python" py_simple.py)
	run -0 grep -c '^M [0-9]* \[python\]$' "$cap"
	[ "$output" = 1 ]
	id=$(awk '$1 == "M" && $3 == "[python]" { print $2 }' "$cap")
	run -0 awk -v m="$id" '$1 == "F" && $3 == m && $6 == "c" { print $4, $5 }' "$cap"
	[ "$output" = "$f 8" ]
	run -0 awk -v m="$id" -v f="$f" '$1 == "F" && $3 == m && $4 == f && $6 == "<module>" { print $5 }' "$cap"
	[ "$(sort -n <<<"$output" | tr '\n' ' ')" = "1 4 7 10 13 " ]
	# The import machinery's frames name their frozen module as the code does.
	cap=$(capture "$python" py_features.py)
	id=$(awk '$1 == "M" && $3 == "[python]" { print $2 }' "$cap")
	run -0 awk -v m="$id" '$1 == "F" && $3 == m && $4 == "<frozen\\x20importlib._bootstrap>" && $6 == "_find_and_load" { n++ } END { print n + 0 }' "$cap"
	[ "$output" -ge 1 ]
}

@test "python: an interpreter mf-record does not understand is recorded natively, with one warning" {
	local root=$PYENV_ROOT_OF_TESTS old=
	for p in "$root"/versions/3.{6,7,8,9,10}.*/bin/python3; do
		if [ -x "$p" ]; then old=$p; break; fi
	done
	if [ -z "$old" ]; then
		echo "no CPython 3.6 to 3.10 from pyenv under $root/versions" >&2
		return 1
	fi
	echo "# $old"
	run -0 --separate-stderr $BIN/mf-record -o "$BATS_TEST_TMPDIR/old.mft" "$old" -S "$PY/py_simple.py"
	[ "$stderr" = "libmf-record.so: this Python is not CPython 3.11, 3.12 or 3.13 as mf-record knows it: its Python frames are not recorded, only native ones" ]
	run -1 grep -c '\[python\]' "$BATS_TEST_TMPDIR/old.mft"
	[ "$output" = 0 ]
	$BIN/mf-peak "$BATS_TEST_TMPDIR/old.mft" >"$BATS_TEST_TMPDIR/old.peak"
	grep -q ";_PyEval_EvalFrameDefault (" "$BATS_TEST_TMPDIR/old.peak"
}

@test "python: PYTHONMALLOC=malloc unless the user set it, under mf-record and mf run" {
	local show='import os, sys; sys.stderr.write(os.environ.get("PYTHONMALLOC", "unset"))'
	run -0 --separate-stderr env -u PYTHONMALLOC $BIN/mf-record -o "$BATS_TEST_TMPDIR/a.mft" /usr/bin/python3.11 -c "$show"
	[ "$stderr" = malloc ]
	run -0 --separate-stderr env PYTHONMALLOC=pymalloc $BIN/mf-record -o "$BATS_TEST_TMPDIR/b.mft" /usr/bin/python3.11 -c "$show"
	[ "$stderr" = pymalloc ]
	run -0 --separate-stderr env PYTHONMALLOC= $BIN/mf-record -o "$BATS_TEST_TMPDIR/c.mft" /usr/bin/python3.11 -c "$show"
	[ "$stderr" = "" ]
	run -0 --separate-stderr env -u PYTHONMALLOC $BIN/mf run -o "$BATS_TEST_TMPDIR/d.mft" /usr/bin/python3.11 -c "$show"
	[[ "$stderr" == malloc* ]]
	# And both say so.
	run -0 $BIN/mf-record --help
	[[ "$output" == *"PROGRAM runs with PYTHONMALLOC=malloc unless PYTHONMALLOC is set, so that"* ]]
	run -0 $BIN/mf run --help
	[[ "$output" == *"PROGRAM runs with PYTHONMALLOC=malloc unless PYTHONMALLOC is set, so that"* ]]
}

# The browser test of issue 13: the page of a real recording, hiding on and
# off (tests/browser/check.mjs pyreal).
# bats test_tags=browser
@test "python: the page: Python functions at the top levels, CPython's frames back when hiding is off" {
	browser_ready
	local python cap page=$BATS_TEST_TMPDIR/py.html
	python=$(pyenv_python 11)
	cap=$(capture "$python" py_simple.py)
	"$BIN/mf-peak" "$cap" | "$BIN/mf-html" -o "$page"
	run --separate-stderr node tests/browser/check.mjs pyreal "$page" '' light "$PY/py_simple.py"
	[ -n "$stderr" ] && echo "$stderr"
	[ "$status" -eq 0 ]
}
