// bench-html.mjs - helpers for bench/html.sh.
//
//   node bench-html.mjs svg FOLDED > OUT.svg
//	the reference: an SVG with one element (<g> with rect, text, title)
//	per frame of the merged call tree, as flamegraph.pl draws it.
//   node bench-html.mjs measure REPORT.html OUT.svg
//	loads each in headless chromium and prints "name value" lines:
//	time to first render of each, and the mf page's zoom redraw time.
//   node bench-html.mjs first REPORT.html
//	the mf page's time to first render, best of 3 loads, and where the
//	script's time of that load went.
import fs from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { openReport } from './lib.mjs';
import { chromium } from 'playwright-core';
import os from 'node:os';
import { ARGS } from './lib.mjs';

function esc(s) {
	return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

async function svg(file) {
	const root = { name: 'all', kids: new Map(), total: 0 };
	const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
	for await (const line of rl) {
		if (!line || line[0] === '#') continue;
		const sp = line.lastIndexOf(' ');
		const v = Number(line.slice(sp + 1));
		let n = root;
		n.total += v;
		for (const f of line.slice(0, sp).split(';')) {
			let k = n.kids.get(f);
			if (!k) { k = { name: f, kids: new Map(), total: 0 }; n.kids.set(f, k); }
			k.total += v;
			n = k;
		}
	}
	const W = 1200, H = 16;
	let depth = 0;
	const out = [];
	const walk = (n, x, d) => {
		depth = Math.max(depth, d);
		const w = n.total / root.total * W;
		const label = w > 30 ? esc(n.name.slice(0, Math.floor(w / 7))) : '';
		out.push(`<g><title>${esc(n.name)} (${n.total} bytes)</title><rect x="${x.toFixed(2)}" y="${d * H}" width="${w.toFixed(3)}" height="${H - 1}" fill="rgb(${200 + (d * 7) % 55},${80 + (d * 13) % 100},40)"/><text x="${(x + 3).toFixed(2)}" y="${d * H + 11}">${label}</text></g>`);
		for (const k of n.kids.values()) { walk(k, x, d + 1); x += k.total / root.total * W; }
	};
	walk(root, 0, 0);
	process.stdout.write(`<?xml version="1.0" standalone="no"?>\n<svg version="1.1" width="${W}" height="${(depth + 1) * H}" xmlns="http://www.w3.org/2000/svg" font-family="monospace" font-size="11">\n`);
	for (let i = 0; i < out.length; i += 10000) process.stdout.write(out.slice(i, i + 10000).join('\n') + '\n');
	process.stdout.write('</svg>\n');
	console.error(`frames ${out.length}`);
}

// A tiny page beside FILE, loaded first to warm the browser up.
function warmPage(file) {
	const p = path.join(path.dirname(path.resolve(file)), 'warm.html');
	fs.writeFileSync(p, '<!DOCTYPE html><meta charset="utf-8"><title>warm</title><p>warm\n');
	return p;
}

// The SVG reference may take minutes on a loaded machine: give up after this.
const SVG_TIMEOUT_MS = Number(process.env.SVG_TIMEOUT_MS || 120000);

// Milliseconds from navigation start to the first frame painted after load.
const PAINTED = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now()))));

async function measureSvg(file) {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-bench-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: '/usr/bin/chromium', headless: true, args: ARGS.filter((a) => a !== '--headless'),
		viewport: { width: 1280, height: 800 },
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	await page.goto(pathToFileURL(warmPage(file)).href);
	let ms;
	try {
		await page.goto(pathToFileURL(path.resolve(file)).href, { timeout: SVG_TIMEOUT_MS });
		ms = await page.evaluate(PAINTED);
	} catch (e) {
		ms = -1;	// not rendered within SVG_TIMEOUT_MS
	}
	await ctx.close();
	fs.rmSync(profile, { recursive: true, force: true });
	return ms;
}

async function measure(report, svgFile) {
	const r = await openReport(report, { warm: warmPage(report) });
	const painted = await r.page.evaluate(PAINTED);
	const s = await r.page.evaluate(STATE);
	// Zoom into the widest frames of rows 1..5 and back, timing the click
	// handler (hit test, redraw, history) and the next paint.
	const zooms = await r.page.evaluate(async () => {
		const c = document.getElementById('mf-canvas');
		const times = [];
		for (let depth = 1; depth <= 5; depth++) {
			const f = window.mf.frames().filter((x) => x.drawn && x.depth === depth).sort((a, b) => b.width - a.width)[0];
			if (!f) break;
			const b = c.getBoundingClientRect();
			const t = performance.now();
			c.dispatchEvent(new MouseEvent('click', { clientX: b.left + f.x + f.width / 2, clientY: b.top + f.y + 5, bubbles: true }));
			times.push(performance.now() - t);
			document.getElementById('mf-reset').click();
		}
		return times.sort((a, b) => a - b);
	});
	await r.close();
	if (r.problems.length) throw new Error(r.problems.join('\n'));
	const svgMs = await measureSvg(svgFile);
	console.log(`html_first_render_ms ${painted.toFixed(0)}`);
	console.log(`html_script_ms ${scriptTimes(s)}`);
	console.log(`html_tree_nodes ${s.nodes}`);
	console.log(`html_zoom_ms_median ${zooms[Math.floor(zooms.length / 2)].toFixed(1)}`);
	console.log(`html_zoom_ms_max ${zooms[zooms.length - 1].toFixed(1)}`);
	console.log(`svg_first_render_ms ${svgMs < 0 ? SVG_TIMEOUT_MS + ' (timeout: at least)' : svgMs.toFixed(0)}`);
}

// mf.state()'s script times, and on a temporal page the temporal mode's share of the start, which they leave out.
const STATE = () => ({ ...window.mf.state(), openMs: performance.getEntriesByName('mf-temporal open').map((e) => e.duration)[0] });

function scriptTimes(s) {
	const open = s.openMs === undefined ? '' : `, temporal open ${s.openMs.toFixed(0)}`;
	return `${(s.parseMs + s.decodeMs + s.buildMs + s.lastDrawMs + (s.openMs || 0)).toFixed(0)} (parse ${s.parseMs.toFixed(0)}, decode ${s.decodeMs.toFixed(0)}, build ${s.buildMs.toFixed(0)}, draw ${s.lastDrawMs.toFixed(0)}${open})`;
}

async function first(report) {
	let best = null;
	for (let i = 0; i < 3; i++) {
		const r = await openReport(report, { warm: warmPage(report) });
		const painted = await r.page.evaluate(PAINTED);
		const s = await r.page.evaluate(STATE);
		await r.close();
		if (r.problems.length) throw new Error(r.problems.join('\n'));
		if (!best || painted < best.painted) best = { painted, s };
	}
	console.log(`html_first_render_ms ${best.painted.toFixed(0)}`);
	console.log(`html_script_ms ${scriptTimes(best.s)}`);
	console.log(`html_tree_nodes ${best.s.nodes}`);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'svg') await svg(a);
else if (mode === 'measure') await measure(a, b);
else if (mode === 'first') await first(a);
else { console.error('usage: node bench-html.mjs svg FOLDED | measure REPORT.html OUT.svg | first REPORT.html'); process.exit(2); }
