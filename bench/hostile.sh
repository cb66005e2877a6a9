#!/bin/bash
# bench/hostile.sh - ids chosen to collide in the readers' hash tables.
#
# lib/hash.c's mixer can be inverted, so a hostile capture can pick frame
# ids that would all land in one slot of an unseeded table (each insertion
# then walks every earlier one: quadratic time).  The table's per-process
# seed defeats that.  Measured in the same run, on captures of N frames:
#   mf-peak, ids 1..N              the reference
#   mf-peak, ids chosen to collide what is measured
# Target: a ratio near 1 (an unseeded table gave about 400 at N = 100000).
set -euo pipefail
cd "$(dirname "$0")/.."
TIMEFORMAT='%U %S'
N=${N:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s bin/mf-peak >/dev/null

python3 - "$N" "$tmp" <<'PY'
import sys
n, tmp = int(sys.argv[1]), sys.argv[2]
M = (1 << 64) - 1
def unshift(x, s):
    r = x
    for _ in range(64 // s + 1):
        r = x ^ (r >> s)
    return r & M
def unmix(x):	# the inverse of lib/hash.c's hash_mix
    x = unshift(x, 31) * pow(0x94d049bb133111eb, -1, 1 << 64) & M
    x = unshift(x, 27) * pow(0xbf58476d1ce4e5b9, -1, 1 << 64) & M
    return unshift(x, 30)
def write(name, ids):
    with open(f"{tmp}/{name}.mft", "w") as f:
        f.write("H 1 full 1 0 10 hostile\n")
        for i in ids:
            f.write(f"F {i} 0 ? 0 f\n")
        f.write("E 0 0 0 0 0 exit 0\n")
write("plain", range(1, n + 1))
# Mixed values that are multiples of 2^40: slot 0 of any table below 2^40.
write("colliding", [k for k in (unmix(j << 40) for j in range(1, n + 3)) if 0 < k < M][:n])
PY

cpu() {
	{ time bin/mf-peak "$1" >/dev/null; } 2>"$tmp/time"
	awk '{ print $1 + $2 }' "$tmp/time"
}
plain=$(cpu "$tmp/plain.mft")
colliding=$(cpu "$tmp/colliding.mft")
awk -v p="$plain" -v c="$colliding" -v n="$N" 'BEGIN {
	printf "hostile ids (%d frames): plain %.3f s, colliding %.3f s CPU, ratio %.2f\n", n, p, c, c / (p > 0.001 ? p : 0.001)
}'
