# bench/pages.bash - what the page benchmarks (bench/html.sh, bench/diff.sh)
# share, sourced by them: the scratch directory, chromium's driver, the
# synthetic stacks of bench/stacks.awk as folded stacks or as the two
# sides of a diff.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -d tests/browser/node_modules/playwright-core ]; then
	(cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
fi

# synthetic_folded N LEAVES: N distinct stacks (LEAVES=1: each ending in a
# frame of its own) as sorted folded stacks of a peak.
synthetic_folded() {
	awk -v n="$1" -v leaves="$2" -f bench/stacks.awk | LC_ALL=C sort -t'	' -k2,2 |
		awk -F'\t' 'BEGIN { print "# format=\"mf-folded/1\""; print "# reducer=\"peak\"" }
			{ print "# count=" $4; print $2 " " $3 }'
}

# diff_sides N DIR: N + N/10 distinct stacks; DIR/base.folded has the first
# N, DIR/new.folded the last N, with every value changed a little (a tenth
# of the stacks vanish, a tenth appear).
diff_sides() {
	awk -v n="$(($1 + $1 / 10))" -v leaves=0 -f bench/stacks.awk > "$2/all.tsv"
	diff_side "$2" 0 "$1" 0 > "$2/base.folded"
	diff_side "$2" "$(($1 / 10))" "$(($1 + $1 / 10))" 1 > "$2/new.folded"
}
diff_side() {
	awk -F'\t' -v lo="$2" -v hi="$3" -v scale="$4" 'BEGIN { srand(7) } $1 >= lo && $1 < hi {
		v = int($3 * (scale ? 0.5 + rand() : 1)); print $2 "\t" v "\t" $4 }' "$1/all.tsv" |
		LC_ALL=C sort -t'	' -k1,1 |
		awk -F'\t' 'BEGIN { print "# format=\"mf-folded/1\""; print "# reducer=\"peak\"" }
			{ print "# count=" $3; print $1 " " $2 }'
}
