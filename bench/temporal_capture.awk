# bench/temporal_capture.awk - a synthetic full capture for the temporal
# page's benchmarks (bench/temporal_html.sh, bench/html.sh temporal): MS
# milliseconds at interval 10 ms (MS/10 + 1 slices), STACKS leaf stacks
# over 2,000 functions, ALLOCS_MS allocations or frees a millisecond, the
# live set growing and shrinking in turns of 7 s.
#   awk -v MS=60000 -v STACKS=4000 -v ALLOCS_MS=5 -f bench/temporal_capture.awk > syn.mft
BEGIN {
	srand(7)
	print "H 1 full 1 1764127800000 10 ./synthetic --for 60s"
	print "M 1 /src/synthetic"
	for (i = 1; i <= 2000; i++)
		printf "F %d 1 /src/mod%d/file%d.c %d func_%d\n", i, i % 37, i % 211, 10 + i % 700, i
	# A tree of stacks: each leaf adds 1 to 3 frames below a random node.
	print "S 1 0 1"; ns = 1; depth[1] = 1
	for (l = 0; l < STACKS; l++) {
		p = 1 + int(rand() * ns)
		if (depth[p] > 24) p = 1
		for (k = 1 + int(rand() * 3); k > 0; k--) {
			ns++
			printf "S %d %d %d\n", ns, p, 2 + int(rand() * 1999)
			depth[ns] = depth[p] + 1; p = ns
		}
		leaf[l] = p
	}
	print "T 1 1 synthetic"
	for (t = 0; t < MS; t++) {
		print "t " t
		grow = int(t / 7000) % 2 == 0 ? 0.55 : 0.45
		for (j = 0; j < ALLOCS_MS; j++) {
			if (live > 0 && rand() > grow) {
				x = 1 + int(rand() * live); a = L[x]; L[x] = L[live]; live--
				printf "f 1 %d\n", n - a; heap -= sz[a]; delete sz[a]; frees++
			} else {
				n++; s = int(16 + rand() * rand() * 65536)
				printf "a 1 %d %d\n", leaf[int(rand() * STACKS)], s
				L[++live] = n; sz[n] = s; heap += s
			}
		}
		if (t % 10 == 9)
			printf "m %d %d %d\n", t + 1, heap, heap + 8388608
	}
	printf "E %d %d %d 0 0 exit 0\n", MS, n, frees
}