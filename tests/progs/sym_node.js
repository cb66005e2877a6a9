// sym_node - JavaScript functions that allocate outside V8's heap, for
// mf-record's perf map names (tests/symbolize.bats): run by node with
// --perf-basic-prof --interpreted-frames-native-stack, outer() and grow()
// hold 20 buffers of 65536 + i bytes (1310910 in all) at the peak.
function grow(n) {
	const keep = [];
	for (let i = 0; i < n; i++)
		keep.push(Buffer.allocUnsafeSlow(65536 + i));
	return keep;
}

function outer() {
	return grow(20);
}

globalThis.kept = outer();
