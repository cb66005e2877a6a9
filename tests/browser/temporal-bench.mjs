// temporal-bench.mjs REPORT.html - how long moving the window of a temporal
// report takes (bench/temporal_html.sh).  Prints one line of figures in ms:
// load (first render), prepare (flattening the series once), and for window
// moves the median and the worst of: moves set from the script interface
// (random windows), and slider steps by keyboard (each step recomputes the
// values, rebuilds the tree, redraws the graph and the chart); and, for
// reference, a rebuild of the whole-recording tree by the page's own source.
//
// temporal-bench.mjs first PAGE... - the first render of each page, best of
// 3 loads taken in turns (so that pages of two builds meet the same load):
// ms from navigation start to the first frame painted after load (as
// bench/html.sh measures it), the temporal mode's share of the start (the
// measure "mf-temporal open", docs/REPORT.md), the page's own script times
// (mf.state()), and when the series were read in the background.
import fs from 'node:fs';
import path from 'node:path';
import { openReport } from './lib.mjs';

const PAINTED = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))));

async function firstRender(pages) {
	const best = new Map();
	for (let round = 0; round < 3; round++) {
		for (const file of pages) {
			const warm = path.join(path.dirname(path.resolve(file)), 'warm.html');
			fs.writeFileSync(warm, '<!DOCTYPE html><meta charset="utf-8"><title>warm</title><p>warm\n');
			const r = await openReport(file, { warm, width: 1280, height: 800 });
			const painted = await r.page.evaluate(PAINTED);
			const s = await r.page.evaluate(() => {
				const st = window.mf.state(), m = (n) => performance.getEntriesByName(n).map((e) => e.duration)[0];
				return { script: st.parseMs + st.decodeMs + st.buildMs + st.lastDrawMs, parse: st.parseMs, decode: st.decodeMs,
					build: st.buildMs, draw: st.lastDrawMs, open: m('mf-temporal open') };
			});
			s.painted = painted;
			await r.close();
			if (r.problems.length) throw new Error(r.problems.join('\n'));
			if (!best.has(file) || painted < best.get(file).painted) best.set(file, s);
		}
	}
	const f = (x) => (x === undefined ? '-' : x.toFixed(0));
	for (const file of pages) {
		const s = best.get(file);
		console.log(`${path.basename(file)}: first render ${f(s.painted)} ms (target < 1000); script ${f(s.script)} ` +
			`(parse ${f(s.parse)}, decode ${f(s.decode)}, build ${f(s.build)}, draw ${f(s.draw)}), temporal open ${f(s.open)}`);
	}
	return best;
}

if (process.argv[2] === 'first') {
	const pages = process.argv.slice(3);
	const best = await firstRender(pages);
	if (pages.length === 2) {
		const [a, b] = pages.map((p) => best.get(p).painted);
		console.log(`ratio ${path.basename(pages[1])}/${path.basename(pages[0])}: ${(b / a).toFixed(3)} (same run, best of 3 each)`);
	}
	process.exit(0);
}

const file = process.argv[2];
const r = await openReport(file, { width: 1280, height: 900 });
const { page } = r;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const fig = (x) => x.toFixed(1);
const first = await page.evaluate(() => window.mf.state().firstRenderMs);
// The series are read in the background after the first paint: wait for them, so that prepare is all of it.
await page.waitForFunction(() => performance.getEntriesByName('mf-temporal series').length === 1, null, { timeout: 120000 });
const w0 = await page.evaluate(() => window.mf.extension().window());
// Random windows, from the script interface.
const random = await page.evaluate((n) => {
	const ext = window.mf.extension(), out = [];
	let seed = 42;
	const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
	for (let i = 0; i < 60; i++) {
		const a = Math.floor(rnd() * n), b = Math.floor(rnd() * n);
		ext.setWindow(Math.min(a, b), Math.max(a, b));
		out.push(ext.window().lastUpdateMs);
	}
	ext.setWindow(0, n - 1);
	return out;
}, w0.slices);
// Slider steps by keyboard: PageUp moves the start by a tenth, ArrowRight by a slice.
const steps = [];
await page.locator('#mf-t-start').focus();
const keys = [...Array(8).fill('PageUp'), ...Array(8).fill('PageDown'), ...Array(24).fill('ArrowRight')];
for (const key of keys) {
	const before = await page.evaluate(() => window.mf.extension().window().start);
	await page.keyboard.press(key);
	await page.waitForFunction((b) => window.mf.extension().window().start !== b, before, { polling: 20, timeout: 10000 });
	steps.push(await page.evaluate(() => window.mf.extension().window().lastUpdateMs));
}
const reference = await page.evaluate(() => { const t = performance.now(); window.mf.extension().setWindow(0, 0); window.mf.extension().setWindow(0, 1e9); return performance.now() - t; });
const st = await page.evaluate(() => window.mf.state());
console.log(`slices ${w0.slices}, ${st.nodes} tree nodes; load ${fig(first)} prepare ${fig(w0.prepareMs)}; ` +
	`random window median ${fig(median(random))} worst ${fig(Math.max(...random))}; ` +
	`slider step median ${fig(median(steps))} worst ${fig(Math.max(...steps))}; ` +
	`two whole moves ${fig(reference)}; ratio worst/100ms target ${(Math.max(...random, ...steps) / 100).toFixed(2)}`);
if (r.problems.length) console.error(r.problems.join('\n'));
await r.close();
