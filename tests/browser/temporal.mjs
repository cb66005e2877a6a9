// temporal.mjs CHECK REPORT.html [#FRAGMENT] [ARGS...] - one browser check of
// the temporal mode of an mf-html report (mf-temporal's output), run by
// tests/temporal_html.bats.  Prints what went wrong and exits 1 on failure.
// Every check also fails on a console error or warning, a page error, an
// alert, or any request that is not a file: URL.  A check that fails saves
// a screenshot to tests/artifacts/temporal-CHECK-failed.png (every check
// saves tests/artifacts/temporal-CHECK.png with MF_SCREENSHOTS set).
import assert from 'node:assert/strict';
import path from 'node:path';
import { cli, runCheck, screenshot } from './lib.mjs';

const ext = {
	window: (page) => page.evaluate(() => window.mf.extension().window()),
	set: (page, s, e) => page.evaluate(([s, e]) => window.mf.extension().setWindow(s, e), [s, e]),
	shown: (page) => page.evaluate(() => window.mf.extension().shown()),
	chart: (page) => page.evaluate(() => window.mf.extension().chart()),
};
const state = (page) => page.evaluate(() => window.mf.state());

// The frames now drawn with the given name, as { name, bytes, count }.
async function named(page, name) {
	const all = await page.evaluate(() => window.mf.frames());
	return all.filter((f) => f.name === name).map((f) => ({ name: f.name, bytes: f.bytes, count: f.count }));
}

// The phase frames the graph shows, e.g. { phase_one: 8388608 }.
async function phases(page) {
	const out = {};
	for (const n of ['phase_one', 'phase_two', 'leak_some']) {
		const f = await named(page, n);
		assert.ok(f.length <= 1, `${n} drawn ${f.length} times`);
		if (f.length) out[n] = f[0].bytes;
	}
	return out;
}

async function waitWindow(page, s, e) {
	await page.waitForFunction(([s, e]) => {
		const w = window.mf.extension().window();
		return w.start === s && w.end === e;
	}, [s, e], { timeout: 5000 });
}

// Where the x of a slice's middle is, in page coordinates, on the chart.
async function sliceX(page, k) {
	const c = await ext.chart(page);
	const w = await ext.window(page);
	const box = await page.locator('#mf-t-chart').boundingBox();
	return box.x + c.plot.left + (c.plot.right - c.plot.left) * (k + 0.5) / w.slices;
}

// The first slice whose high-water mark is phase two's 4 MiB alone.
function phaseTwoStart(meta) {
	const k = meta.slice_peaks.indexOf(4194304);
	assert.ok(k > 0, 'no slice holds phase two alone');
	return k;
}

const checks = {
	// Every window [S, E] (or the one given): "S E<TAB>stack<TAB>count<TAB>bytes" lines, as
	// tests/helpers.bash temporal_views prints them; and the graph's totals
	// are the sums of what the window shows.
	async views({ page, out }, S, E) {
		// Every window is set and read in one evaluation: a round trip to
		// the page for each of a few hundred windows cost the check most of
		// its time.  What is read of each is what the assertions below need:
		// the window, the stacks shown, the state, and whether #mf-empty is
		// visible (as Playwright's isVisible has it: a box that is not
		// empty, and no visibility:hidden).
		const seen = await page.evaluate(([S, E]) => {
			const x = window.mf.extension(), n = x.window().slices, all = [];
			const visible = (el) => {
				if (!el) return false;
				const box = el.getBoundingClientRect();
				return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
			};
			for (let s = S === null ? 0 : S; s < n; s++) {
				for (let e = E === null ? s : E; e < n; e++) {
					const w = x.setWindow(s, e);
					all.push({ s, e, w, shown: x.shown(), st: window.mf.state(), empty: visible(document.getElementById('mf-empty')) });
					if (E !== null) break;
				}
				if (S !== null) break;
			}
			x.setWindow(0, n - 1);
			return all;
		}, [S === undefined ? null : Number(S), E === undefined ? null : Number(E)]);
		const lines = [];
		for (const { s, e, w, shown, st, empty } of seen) {
			assert.deepEqual([w.start, w.end], [s, e]);
			let bytes = 0, count = 0;
			for (const x of shown) {
				lines.push(`${s} ${e}\t${x.stack}\t${x.count}\t${x.bytes}`);
				bytes += x.bytes; count += x.count;
			}
			assert.deepEqual([st.total, st.count, w.bytes, w.count, w.stacks], [bytes, count, bytes, count, shown.length],
				`totals of window ${s} ${e}`);
			assert.equal(empty, bytes === 0 && count === 0, `#mf-empty shown for window ${s} ${e}`);
		}
		out.log(lines.join('\n'));
	},

	// temp_phases: the whole window is phase one; a window over phase two
	// alone shows phase two, set from the script interface.
	async phases({ page }) {
		const meta = await page.evaluate(() => window.mf.meta);
		const st = await state(page);
		assert.equal(st.source, 'temporal');
		// Phase one starts in the first slice only if the program's start-up
		// took less than a slice: on a loaded machine, or sanitized, it may not.
		const one = meta.slice_peaks.indexOf(8388608);
		assert.ok(one >= 0, 'no slice holds phase one');
		let w = await ext.window(page);
		assert.deepEqual([w.start, w.end, w.whole, w.slices, w.highSlice, w.highBytes, w.bytes, w.count],
			[0, meta.slices - 1, true, meta.slices, one, 8388608, 8388608, 1]);
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		const k = phaseTwoStart(meta);
		w = await ext.set(page, k, meta.slices - 1);
		assert.deepEqual([w.start, w.end, w.whole, w.highSlice, w.highBytes, w.bytes, w.count],
			[k, meta.slices - 1, false, k, 4194304, 4194304, 1]);
		assert.deepEqual(await phases(page), { phase_two: 4194304 });
		assert.equal((await state(page)).total, 4194304);
		const summary = await page.locator('.mf-t-summary').innerText();
		assert.match(summary, /highest point 4\.00 MiB in \d+ ms–\d+ ms · live then: 4\.00 MiB in 1 allocation$/);
		assert.equal(await page.locator('#mf-t-start').inputValue(), String(k));
		await screenshot(page, 'temporal-phase-two');
		await page.locator('#mf-t-whole').click();
		await waitWindow(page, 0, meta.slices - 1);
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		assert.equal(await page.locator('#mf-t-whole').isDisabled(), true);
	},

	// The same, driving the sliders: keyboard, then the mouse on the range
	// inputs, then a drag across the chart.
	async sliders({ page }) {
		const meta = await page.evaluate(() => window.mf.meta);
		const n = meta.slices, k = phaseTwoStart(meta);
		await page.locator('#mf-t-start').focus();
		for (let i = 0; i < k; i++) await page.keyboard.press('ArrowRight');
		await waitWindow(page, k, n - 1);
		assert.deepEqual(await phases(page), { phase_two: 4194304 });
		assert.equal((await ext.window(page)).highSlice, k);
		await page.keyboard.press('ArrowLeft');
		await waitWindow(page, k - 1, n - 1);
		// Slice k - 1 holds no allocation: the highest point is still phase two's.
		assert.deepEqual(await phases(page), { phase_two: 4194304 });
		await page.keyboard.press('Home');
		await waitWindow(page, 0, n - 1);
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		// The end slider pulled a tenth of the way: a window inside phase one.
		const end = await page.locator('#mf-t-end').boundingBox();
		await page.mouse.click(end.x + end.width * 0.1, end.y + end.height / 2);
		await page.waitForFunction(() => window.mf.extension().window().end < 10);
		let w = await ext.window(page);
		assert.equal(String(w.end), await page.locator('#mf-t-end').inputValue());
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		// The start thumb dragged to 70%: past the end, which follows it.
		const start = await page.locator('#mf-t-start').boundingBox();
		await page.mouse.move(start.x + 8, start.y + start.height / 2);
		await page.mouse.down();
		await page.mouse.move(start.x + start.width * 0.7, start.y + start.height / 2, { steps: 8 });
		await page.mouse.up();
		await page.waitForFunction(() => window.mf.extension().window().start > 20);
		w = await ext.window(page);
		assert.equal(w.end, w.start);
		assert.ok(w.start > k && w.start < n - 1, `start ${w.start}`);
		assert.equal(String(w.start), await page.locator('#mf-t-start').inputValue());
		assert.equal(String(w.end), await page.locator('#mf-t-end').inputValue());
		assert.deepEqual(await phases(page), { phase_two: 4194304 });
		// A drag across the chart from slice 2 to slice k + 3.
		const y = (await page.locator('#mf-t-chart').boundingBox()).y + 60;
		await page.mouse.move(await sliceX(page, k + 3), y);
		await page.mouse.down();
		await page.mouse.move(await sliceX(page, 2), y, { steps: 5 });
		await page.mouse.up();
		await waitWindow(page, 2, k + 3);
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		assert.match((await state(page)).fragment, new RegExp(`^#from=20&to=${(k + 3) * 10}$`));
		// The address bar follows once the slider rests.
		await page.waitForFunction((f) => location.hash === f, `#from=20&to=${(k + 3) * 10}`);
	},

	// The window is in the fragment: it opens there, survives a reload and
	// a zoom, and the whole recording writes no keys.
	async fragment({ page }) {
		const meta = await page.evaluate(() => window.mf.meta);
		const n = meta.slices, k = phaseTwoStart(meta);
		let w = await ext.window(page);
		assert.deepEqual([w.start, w.end], [k, n - 1]);
		assert.deepEqual(await phases(page), { phase_two: 4194304 });
		assert.equal(await page.locator('#mf-t-start').inputValue(), String(k));
		assert.equal((await state(page)).fragment, `#from=${k * 10}&to=${(n - 1) * 10}`);
		await ext.set(page, 1, 5);
		assert.equal(await page.evaluate(() => location.hash), '#from=10&to=50');
		await page.reload();
		await page.waitForFunction(() => window.mf && window.mf.state().firstRenderMs > 0);
		w = await ext.window(page);
		assert.deepEqual([w.start, w.end], [1, 5]);
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		// Zoom into phase_one: both keys live together and come back.
		const f = (await page.evaluate(() => window.mf.frames())).find((x) => x.name === 'phase_one');
		const box = await page.locator('#mf-canvas').boundingBox();
		await page.mouse.click(box.x + f.x + f.width / 2, box.y + f.y + f.height / 2);
		const hash = await page.evaluate(() => location.hash);
		assert.match(hash, /^#zoom=[\d.]+&from=10&to=50$/);
		await page.reload();
		await page.waitForFunction(() => window.mf && window.mf.state().firstRenderMs > 0);
		assert.deepEqual((await state(page)).zoom.slice(-1)[0].replace(/ .*/, ''), 'phase_one');
		assert.deepEqual(await page.evaluate(() => location.hash), hash);
		// A window moved keeps the zoom where the frame still exists.
		await ext.set(page, 0, 3);
		assert.match(await page.evaluate(() => location.hash), /^#zoom=[\d.]+&from=0&to=30$/);
		// Back to the whole recording: no window keys.
		await page.evaluate(() => { location.hash = '#from=0'; });
		await waitWindow(page, 0, n - 1);
		await ext.set(page, 0, n - 1);
		assert.equal((await state(page)).fragment, '');
	},

	// Window edges are whole slices: from=MS&to=MS are the slices
	// [floor(from / interval), floor(to / interval)]; nonsense is ignored.
	async edges({ page }) {
		const w = await ext.window(page);
		assert.deepEqual([w.start, w.end, w.startMs, w.endMs, w.intervalMs], [1, 2, 10, 30, 10]);
		assert.equal((await state(page)).fragment, '#from=10&to=20');
		// 4 slices: 0-9, 10-19, 20-29 and 30 ms, the end of the recording.
		assert.equal(w.slices, 4);
		const cases = [['#from=0&to=9', 0, 0], ['#from=5&to=10', 0, 1], ['#from=29', 2, 3], ['#from=30&to=30', 3, 3],
			['#to=999999', 0, 3], ['#from=25&to=3', 0, 2], ['#from=abc&to=-1', 0, 3], ['#from=1e3', 0, 3]];
		for (const [hash, s, e] of cases) {
			await page.evaluate((h) => { location.hash = h; }, hash);
			await waitWindow(page, s, e);
			const x = await ext.window(page);
			assert.deepEqual([x.startMs, x.endMs], [s * 10, (e + 1) * 10], hash);
		}
	},

	// temp_phases, leaks: the whole window is the leak; phase one's window
	// (made in M, freed in F) shows it only while it ends before F.
	async leaks({ page }, M, F) {
		M = Number(M); F = Number(F);
		const n = (await ext.window(page)).slices;
		assert.equal((await state(page)).source, 'temporal-leaks');
		assert.deepEqual(await phases(page), { leak_some: 1000 });
		let w = await ext.set(page, M, F - 1);
		assert.deepEqual([w.highSlice, w.bytes, w.count], [null, 8388608, 1]);
		assert.deepEqual(await phases(page), { phase_one: 8388608 });
		assert.match(await page.locator('.mf-t-summary').innerText(), /made in it and not freed by its end: 8\.00 MiB in 1 allocation$/);
		w = await ext.set(page, M, F);
		assert.deepEqual([w.bytes, w.count], [0, 0]);
		assert.equal(await page.locator('#mf-empty').isVisible(), true);
		w = await ext.set(page, M + 1, n - 1);
		// Phase two was freed in the last slice; only the leak is left.
		assert.deepEqual(await phases(page), { leak_some: 1000 });
	},

	// --max-memory-records 5: at most 5 points a series, the true peak kept;
	// the windows are as exact as ever.
	async maxpoints({ page }) {
		const meta = await page.evaluate(() => window.mf.meta);
		const c = await ext.chart(page);
		assert.equal(c.maxPoints, 5);
		assert.equal(c.heap.length, 5);
		assert.ok(c.rss.length <= 5 && c.rss.length > 0, `rss points ${c.rss.length}`);
		assert.equal(Math.max(...c.heap.map((p) => p[3])), meta.peak_bytes);
		assert.equal((await page.evaluate(() => window.mf.memory())).length, c.rss.length);
		assert.equal(c.heap[0][0], 0);
		assert.equal(c.heap[4][1], meta.slices * meta.interval_ms);
		const w = await ext.window(page);
		assert.deepEqual([w.highBytes, w.bytes], [meta.peak_bytes, meta.peak_bytes]);
	},

	// A malformed series: the page says so and shows the whole recording.
	async bad({ page }) {
		const w = await ext.window(page);
		assert.match(w.problem, /^stack_live of stack 2 has an entry that is not \[K,DCOUNT,DBYTES\] with 0 <= K < 6$/);
		assert.equal(await page.locator('#mf-extension .mf-warning').innerText(),
			'The time window is not available: ' + w.problem + '. The graph shows the whole recording.');
		assert.equal((await state(page)).total, 300);
		assert.equal(await page.locator('#mf-t-chart').count(), 0);
	},
};

// More slices than mf-temporal ever writes: refused at once, the page works.
checks.hugeslices = async ({ page }) => {
	const w = await ext.window(page);
	assert.equal(w.problem, 'no valid "slices" key (1 to 10000000)');
	assert.equal((await state(page)).total, 60);
};

export async function main(argv, out, cwd) {
	const [name, file, hash = '', ...args] = argv;
	if (!checks[name] || !file) {
		out.error(`usage: node temporal.mjs CHECK REPORT.html [#FRAGMENT] [ARGS...]\nchecks: ${Object.keys(checks).join(' ')}`);
		return 2;
	}
	return runCheck(path.resolve(cwd, file), { hash, width: 1280, height: 900 }, out, name, 'temporal-' + name,
		(r) => checks[name](r, ...args));
}
await cli(import.meta.url, main);
