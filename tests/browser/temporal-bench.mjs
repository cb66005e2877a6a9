// temporal-bench.mjs REPORT.html - how long moving the window of a temporal
// report takes (bench/temporal_html.sh).  Prints one line of figures in ms:
// load (first render), prepare (flattening the series once), and for window
// moves the median and the worst of: moves set from the script interface
// (random windows), and slider steps by keyboard (each step recomputes the
// values, rebuilds the tree, redraws the graph and the chart); and, for
// reference, a rebuild of the whole-recording tree by the page's own source.
import { openReport } from './lib.mjs';

const file = process.argv[2];
const r = await openReport(file, { width: 1280, height: 900 });
const { page } = r;
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const fig = (x) => x.toFixed(1);
const first = await page.evaluate(() => window.mf.state().firstRenderMs);
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
