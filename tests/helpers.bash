# tests/helpers.bash - what every bats file shares: `load helpers` at the top.
#
# The programs under test are found through the environment, so one suite
# runs against any build: `make check` sets MF_BIN=bin MF_BUILD=build, and
# `make check SANITIZE=1` sets MF_BIN=bin-san MF_BUILD=build-san.
#
#   $ROOT   the source tree
#   $BIN    the programs (bin/mf-peak, ...): $MF_BIN, default bin/
#   $PROGS  the test programs of tests/progs/: $MF_BUILD/tests, default build/tests
#   $DATA   tests/data

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
mf_abs() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }
BIN=$(mf_abs "${MF_BIN:-bin}")
PROGS=$(mf_abs "${MF_BUILD:-build}")/tests
DATA=$ROOT/tests/data

# python3: Debian's (python3 is in TEST_PKGS), not whatever PATH finds first:
# the tests use it as a tool, and pyenv's shim, first on many a PATH, costs
# more than half a second of CPU a call before Python even starts.
python3() {
	/usr/bin/python3 "$@"
}

# temporal_views FILE [S E]: what a temporal report (docs/TEMPORAL.md) shows
# for the window of slices [S, E], or for every window with no S and E, by
# the format's rules, as lines "S E<TAB>stack<TAB>count<TAB>bytes", stacks
# in file order.
temporal_views() {
	awk -v S="${2:-}" -v E="${3:-}" '
	/^# reducer="temporal-leaks"$/ { leaks = 1 }
	/^# slices=/ { n = substr($0, 10) + 0 }
	/^# slice_peaks=\[/ {
		s = substr($0, index($0, "[") + 1); sub(/\]$/, "", s)
		split(s, peaks, ",")
	}
	/^# stack_(live|lifetimes)=\[\[/ {
		s = substr($0, index($0, "=") + 3); sub(/\]\]$/, "", s)
		series = s
		next
	}
	/^#/ { next }
	{ stack[++ns] = $0; sub(/ [0-9]+$/, "", stack[ns]); entries[ns] = series; series = "" }
	function show(S, E,   k, i, j, ne, ent, v, c, b) {
		k = -1
		for (i = S; i <= E; i++)
			if (k < 0 || peaks[i + 1] + 0 > peaks[k + 1] + 0) k = i
		for (j = 1; j <= ns; j++) {
			c = 0; b = 0
			ne = split(entries[j], ent, /\],\[/)
			for (i = 1; i <= ne; i++) {
				split(ent[i], v, ",")
				if (leaks && v[1] + 0 >= S && v[1] + 0 <= E && v[2] + 0 > E) {
					c += v[3]; b += v[4]
				} else if (!leaks && v[1] + 0 <= k) {
					c += v[2]; b += v[3]
				}
			}
			if (c) printf "%d %d\t%s\t%d\t%d\n", S, E, stack[j], c, b
		}
	}
	END {
		if (S != "") { show(S + 0, E + 0); exit }
		for (s = 0; s < n; s++) for (e = s; e < n; e++) show(s, e)
	}' "$1"
}

# stacks: the stack lines of $output (the lines that are not comments).
# A file may define its own stacks and meta (after `load helpers`).
stacks() {
	grep -v '^#' <<<"$output"
}

# meta KEY: the value of metadata key KEY in $output, one line a value.
meta() {
	sed -n "s/^# $1=//p" <<<"$output"
}

# meta_is KEY VALUE [KEY VALUE...]: each KEY's metadata in $output is
# exactly VALUE (one line).
meta_is() {
	while [ $# -gt 0 ]; do
		if [ "$(meta "$1")" != "$2" ]; then
			echo "# $1=$(meta "$1"), expected $2" >&2
			return 1
		fi
		shift 2
	done
}

# reduce_peak_meta REDUCER: the metadata a reducer writes first for
# tests/data/reduce_peak.mft, REDUCER's name in it: down to its module
# line, then (but for mf-fold's "all") the peak and leak figures and its
# memory lines.
reduce_peak_meta() {
	cat <<EOF
# format="mf-folded/1"
# reducer="$1"
# value="bytes"
# inverted=false
# split_threads=false
# command="./app 100000"
# argv=["./app","100000"]
# pid=4242
# start_ms=1764127800000
# duration_ms=12
# interval_ms=10
# ended="exit 0"
# total_allocations=4
# total_frees=2
# total_bytes=500
# untracked_frees=0
# thread={"thread":1,"tid":4242,"name":"app"}
# module={"path":"/src/app","program":true,"lines":true,"files":["/src/app.c"]}
EOF
	[ "$1" = all ] || cat <<EOF
# peak_bytes=300
# peak_time_ms=5
# peak_allocations=2
# leaked_bytes=250
# leaked_allocations=2
# memory=[5,100,4096]
# memory=[10,250,8192]
EOF
}

# reduce_peak_writes REDUCER PROGRAM [OPTION...] <REST: PROGRAM (with
# OPTIONs) on tests/data/reduce_peak.mft exits 0, says nothing on standard
# error, and writes exactly reduce_peak_meta REDUCER followed by REST.
reduce_peak_writes() {
	run -0 --separate-stderr "$BIN/$2" "${@:3}" "$DATA/reduce_peak.mft"
	[ "$stderr" = "" ]
	diff -u <(reduce_peak_meta "$1"; cat) <(echo "$output")
}

# fails_saying MESSAGE COMMAND...: COMMAND exits 1 and its standard error
# is exactly MESSAGE; its standard output is left in $output.
fails_saying() {
	local message=$1
	shift
	run -1 --separate-stderr "$@"
	[ "$stderr" = "$message" ]
}

# Whether the browser tests can run (playwright-core, from make check); says why not.
browser_ready() {
	[ -d tests/browser/node_modules/playwright-core ] && return 0
	echo "tests/browser/node_modules is missing: run 'make check' (or npm ci in tests/browser)" >&2
	return 1
}

# gzip_cut_line FILE: the line at which a reader of FILE, a gzip stream cut
# short (of one member or several, as mf writes them), meets the cut: the
# one after the whole lines zlib inflates from it.  Where a cut falls
# depends on the compressor's exact bytes, so tests derive it from the data
# instead of writing the number down.
gzip_cut_line() {
	python3 - "$1" <<'PY'
import sys, zlib
data, lines = open(sys.argv[1], "rb").read(), 0
while data:
    d = zlib.decompressobj(31)  # 31: a gzip header and trailer
    lines += d.decompress(data).count(b"\n")
    if not d.eof:
        print(lines + 1)
        sys.exit(0)
    data = d.unused_data
sys.exit("gzip_cut_line: " + sys.argv[1] + " is not cut short")
PY
}
