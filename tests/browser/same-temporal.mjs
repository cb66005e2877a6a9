// same-temporal.mjs A.html B.html - whether two temporal pages of the same
// data show exactly the same: the first paint's frames, metadata (in key order), memory records, the
// chart's points, and for the whole recording and a spread of windows the
// window's figures and every stack shown (tests/temporal_html.bats: a
// packed page against its readable twin).  Each is compared by its JSON's
// length and hash, so that large pages fit.  Prints "same N windows" or
// the first part that differs; exits 1 on a difference or a page problem.
import { openReport } from './lib.mjs';

const WINDOWS = 12;
async function look(file) {
	const r = await openReport(file);
	const out = await r.page.evaluate((n) => {
		const digest = (x) => {
			const s = JSON.stringify(x);
			let h = 2166136261;
			for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
			return s.length + ':' + h.toString(16);
		};
		const parts = {};
		// The first paint, before anything asks for the window (a packed page reads its series later).
		parts.first = digest(window.mf.frames().map((f) => [f.frame, f.bytes, f.count]));
		const ext = window.mf.extension(), w0 = ext.window();
		const strip = (w) => { const c = { ...w }; delete c.prepareMs; delete c.lastUpdateMs; delete c.lastValuesMs; return c; };
		const meta = {};
		Object.keys(window.mf.meta).sort().forEach((k) => { meta[k] = window.mf.meta[k]; });
		parts.meta = digest(meta);
		parts.memory = digest(window.mf.memory());
		parts.chart = digest(ext.chart());
		parts.whole = digest([strip(w0), ext.shown()]);
		for (let i = 0; i < n; i++) {
			const s = Math.floor(w0.slices * i / n), e = Math.min(w0.slices - 1, s + Math.floor(w0.slices * (i % 4 + 1) / 7));
			parts[`window ${s}-${e}`] = digest([strip(ext.setWindow(s, e)), ext.shown()]);
		}
		return parts;
	}, WINDOWS);
	await r.close();
	if (r.problems.length) { console.error(`${file}: ${r.problems.join('\n')}`); process.exit(1); }
	return out;
}
const a = await look(process.argv[2]), b = await look(process.argv[3]);
for (const key of Object.keys(a)) {
	if (a[key] !== b[key]) { console.log(`${key} differs: ${a[key]} ${b[key]}`); process.exit(1); }
}
console.log(`same ${WINDOWS} windows`);
