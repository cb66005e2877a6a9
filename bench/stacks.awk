# bench/stacks.awk - distinct synthetic stacks for the page benchmarks
# (bench/html.sh, bench/diff.sh): n stacks over 3,000 functions in 300
# files, depth up to 40; each new stack leaves an earlier one a few frames
# up and goes down a new way.  With leaves=1 each stack ends in a frame of
# its own besides (a distinct function, as a real program's many
# allocation sites give).  Prints "INDEX<TAB>STACK<TAB>VALUE<TAB>COUNT".
function frame(i) {
	return sprintf("ns%d::Class%d::method_%d(int, std::string const&) (/src/module%d/file%d.cc:%d)", i % 17, i % 211, i, i % 23, i % 307, 10 + i % 900)
}
BEGIN {
	srand(42)
	nf = 3000
	for (i = 0; i < nf; i++)
		fn[i] = frame(i)
	for (s = 0; s < n; s++) {
		if (s < 50) {
			d = 0
			pre = sprintf("main (/src/main.cc:%d)", 10 + s % 5)
		} else {
			p = int(rand() * s)
			pre = stk[p]
			d = dep[p]
			k = int(rand() * 4)
			while (k-- > 0 && d > 1) { sub(/;[^;]*$/, "", pre); d-- }
		}
		add = 1 + int(rand() * 4)
		for (j = 0; j < add && d < 40; j++) { pre = pre ";" fn[int(rand() * nf)]; d++ }
		if (pre in seen) { s--; continue }
		seen[pre] = 1
		stk[s] = pre; dep[s] = d
		printf "%d\t%s%s\t%d\t%d\n", s, pre, leaves ? ";" frame(nf + s) : "", 16 + int(rand() * 100000), 1 + int(rand() * 9)
	}
}
