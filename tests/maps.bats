#!/usr/bin/env bats
# Mappings are memory only while accessible (docs/FORMAT.md, "Mappings"):
# reservations committed and decommitted by mprotect, unmapped and moved
# while partly committed; and allocators that map their own chunks.
# Each case is recorded once, in setup_file.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	cd "$ROOT"
	for c in gib decommit munmap mremap fixed noreserve; do
		$BIN/mf-record -o "$BATS_FILE_TMPDIR/$c.mft" $PROGS/maps_reserve $c
	done
	$BIN/mf-record -o "$BATS_FILE_TMPDIR/jemalloc.mft" $PROGS/maps_jemalloc
	$BIN/mf-record -o "$BATS_FILE_TMPDIR/tcmalloc.mft" $PROGS/maps_tcmalloc
}

setup() {
	cd "$ROOT"
	page=$(getconf PAGESIZE)
}

# The a and f records of capture $1: "a SIZE ALLOCATOR FUNCTION:LINE" (the
# innermost frame) and "f BACK".
records() {
	awk '
	$1 == "F" { frame[$2] = $6 ":" $5 }
	$1 == "S" { fr[$2] = $4 }
	$1 == "a" { print "a", $4, (NF >= 5 ? $5 : "malloc"), frame[fr[$3]] }
	$1 == "f" { print "f", $3 }' "$BATS_FILE_TMPDIR/$1.mft"
}

# records_are CASE RECORDS END: the a and f records of capture CASE are
# RECORDS, and its E record is "E MS END".
records_are() {
	run -0 records "$1"
	[ "$output" = "$2" ]
	grep -qx "E [0-9]* $3" "$BATS_FILE_TMPDIR/$1.mft"
}

# The line of the source line marked "MARK: $2" in tests/progs/$1.
mark() {
	grep -n "MARK: $2\( \*/\)\?\$" "tests/progs/$1" | cut -d: -f1
}

@test "a 1 GiB PROT_NONE reservation with 8 MiB committed: an 8 MiB peak at the mprotect call" {
	records_are gib "a 8388608 mprotect commit:$(mark maps_reserve.c commit)
f 0" "1 1 0 0 exit 0"
	run -0 $BIN/mf-peak "$BATS_FILE_TMPDIR/gib.mft"
	grep -qx '# peak_bytes=8388608' <<<"$output"
	run -0 grep -v '^#' <<<"$output"
	[[ "$output" == *";main ($ROOT/tests/progs/maps_reserve.c:"*");gib ($ROOT/tests/progs/maps_reserve.c:"*");commit ($ROOT/tests/progs/maps_reserve.c:$(mark maps_reserve.c commit)) 8388608" ]]
	# HEAP in the memory records never counts the reservation.
	run -0 awk '$1 == "m" && $3 > 8388608' "$BATS_FILE_TMPDIR/gib.mft"
	[ "$output" = "" ]
}

@test "mprotect(PROT_NONE) frees what it decommits, keeps the rest, and commits again" {
	c=$(mark maps_reserve.c commit)
	# [4, 12) committed; [6, 8) decommitted: [4, 6) and [8, 12) stay; the
	# read-only mprotect of memory changes nothing; [6, 8) again.
	records_are decommit "a $((8 * page)) mprotect commit:$c
f 0
a $((2 * page)) mprotect commit:$c
a $((4 * page)) mprotect commit:$c
a $((2 * page)) mprotect commit:$c
f 2
f 0
f 1" "4 4 0 0 exit 0"
}

@test "munmap of part of a partly committed reservation frees only what was memory" {
	c=$(mark maps_reserve.c commit)
	records_are munmap "a $((8 * page)) mprotect commit:$c
f 0
a $((4 * page)) mprotect commit:$c
f 0" "2 2 0 0 exit 0"
}

@test "mremap of a partly committed reservation keeps which pages are memory" {
	c=$(mark maps_reserve.c commit)
	# Shrunk in place to [0, 3): of the committed [2, 4) page 2 stays;
	# page 2 moved and grown: 3 pages of memory; the reserved [0, 2)
	# moved and grown stays reserved until one page of it is committed.
	records_are mremap "a $((2 * page)) mprotect commit:$c
f 0
a $((1 * page)) mremap mremap_case:$(grep -n 'mremap(m, 8 \* page' tests/progs/maps_reserve.c | cut -d: -f1)
f 0
a $((3 * page)) mremap mremap_case:$(grep -n 'char \*q = mremap' tests/progs/maps_reserve.c | cut -d: -f1)
a $((1 * page)) mprotect commit:$c
f 1
f 0" "4 4 0 0 exit 0"
}

@test "an mmap over a reservation commits, a PROT_NONE mmap over memory decommits" {
	# [4, 8) by mmap; [4, 6) given back: [6, 8) stays; page 5 by mprotect.
	records_are fixed "a $((4 * page)) mmap fixed_case:$(mark maps_reserve.c fixed)
f 0
a $((2 * page)) mmap fixed_case:$(mark maps_reserve.c fixed)
a $((1 * page)) mprotect commit:$(mark maps_reserve.c commit)
f 0
f 1" "3 3 0 0 exit 0"
}

@test "MAP_NORESERVE alone changes nothing; mprotect of a file commits nothing" {
	# The file's munmap frees nothing mf saw: one untracked free.
	records_are noreserve "a $((4 * page)) mmap noreserve_case:$(grep -n 'char \*m = mmap(NULL, 4' tests/progs/maps_reserve.c | cut -d: -f1)
f 0" "1 1 1 0 exit 0"
}

# The a records from block() in capture $1, "COUNT SIZE ALLOCATOR", and
# those from anywhere else that are not malloc (an allocator's mappings).
blocks_and_mappings() {
	records "$1" | awk -v b="block:$(mark maps_blocks.h block)" '
	$1 == "a" && $4 == b { n[$2 " " $3]++ }
	$1 == "a" && $4 != b && $3 != "malloc" { print "other", $0 }
	END { for (k in n) print n[k], k }' | sort -n
}

# The peak of the blocks from block() in capture $1, by mf-peak.
blocks_peak() {
	$BIN/mf-peak "$BATS_FILE_TMPDIR/$1.mft" |
		awk '!/^#/ && /;block \(/ { sum += $NF } END { print sum }'
}

# blocks_exact ALLOCATOR: in the capture of maps_ALLOCATOR, block()'s
# allocations are all there, at their sizes, with no mapping of the
# allocator beside them; their peak is exact; the program exits 0.
blocks_exact() {
	run -0 blocks_and_mappings "$1"
	[ "$output" = "4 8388608 malloc
16 100000 malloc
64 1000 malloc" ]
	run -0 blocks_peak "$1"
	[ "$output" = 35218432 ]
	grep -qx "E [0-9]* [0-9]* [0-9]* 0 0 exit 0" "$BATS_FILE_TMPDIR/$1.mft"
}

@test "jemalloc linked in: its chunks are not counted beside the blocks they hold" {
	blocks_exact jemalloc
	# Every block is freed: nothing of the program leaks.
	run -0 $BIN/mf-leaks "$BATS_FILE_TMPDIR/jemalloc.mft"
	run -1 grep ';block (' <<<"$output"
}

@test "tcmalloc linked in: exact as well" {
	blocks_exact tcmalloc
}
