// diff.mjs CHECK REPORT.html [#FRAGMENT] - one browser check of the
// differential mode of an mf-html report (mf-diff's output), run by
// tests/diff.bats.  Prints what went wrong and exits 1 on failure.  Every
// check also fails on a console error or warning, a page error, an alert,
// or a request that is not a file: URL.  A check that fails (or every check,
// with MF_SCREENSHOTS set) saves a screenshot to tests/artifacts/diff-CHECK.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { cli, openReport, screenshot } from './lib.mjs';

const WHITE = 'rgb(246,246,246)', RED = 'rgb(214,32,32)', BLUE = 'rgb(32,96,214)';

// The frames of the tree now shown whose function is name.
async function named(page, name) {
	const all = await page.evaluate(() => window.mf.frames());
	return all.filter((f) => f.name === name);
}

// diff_builds's five functions: { name: [before, after, colour, drawn] }.
async function leaves(page) {
	const out = {};
	for (const n of ['grow', 'shrink', 'stay', 'vanish', 'appear']) {
		const f = await named(page, n);
		assert.equal(f.length, 1, `${n} is in the tree ${f.length} times`);
		out[n] = [f[0].before, f[0].after, f[0].colour, f[0].drawn];
	}
	return out;
}

const checks = {
	// Colours, legend, header, tooltip, list and toggle of the two builds' diff.
	async builds(page) {
		const ext = await page.evaluate(() => window.mf.extension().mode);
		assert.equal(ext, 'diff');
		// The largest change of any frame (the program's is +200 B) is
		// grow's +2000 and shrink's -2000: full red and full blue.  appear
		// (+900) and vanish (-700) are 0.45 and 0.35 of the way from white.
		assert.equal(await page.evaluate(() => window.mf.extension().maxChange()), 2000);
		const l = await leaves(page);
		assert.deepEqual(l, {
			grow: [1000, 3000, RED, true],
			shrink: [4000, 2000, BLUE, true],
			stay: [500, 500, WHITE, true],
			vanish: [700, 0, 'rgb(171,194,235)', false],
			appear: [0, 900, 'rgb(232,150,150)', true],
		});
		// The legend says what the colours mean.
		const legend = await page.locator('#mf-legend').innerText();
		for (const t of ['grew', 'shrank', 'unchanged', 'colour strength', 'width = bytes after (NEW)'])
			assert.ok(legend.includes(t), `legend lacks "${t}": ${legend}`);
		const swatches = await page.evaluate(() => Array.from(document.querySelectorAll('#mf-legend .mf-diff-key .mf-sw')).map((e) => e.style.background));
		assert.deepEqual(swatches, ['rgb(214, 32, 32)', 'rgb(32, 96, 214)', 'rgb(246, 246, 246)']);
		// The header: a difference, both commands, totals and the change.
		const header = await page.locator('#mf-header').innerText();
		assert.match(header, /memory difference flame graph/);
		assert.match(header, /Difference: peak/);
		assert.match(header, /before: \$ \S*\/base\/app/);
		assert.match(header, /after: \$ \S*\/new\/app/);
		assert.match(header, /Change: \+200 B/);
		// The list: the frames whose own bytes changed most, either way.
		const list = await page.evaluate(() => window.mf.extension().largest().map((e) => [e.name, e.change]));
		assert.deepEqual(list.slice(0, 4), [['grow', 2000], ['shrink', -2000], ['appear', 900], ['vanish', -700]]);
		assert.equal(list.length, 4);
		const items = await page.locator('#mf-diff-list li').allInnerTexts();
		assert.equal(items.length, 4);
		assert.match(items[1], /\u22122,000 B|\u22121\.95 KiB/);
		// A click on the list zooms to that frame.
		await page.locator('#mf-diff-list li button').nth(1).click();
		const st = await page.evaluate(() => window.mf.state());
		assert.equal(st.zoom[st.zoom.length - 1].replace(/ \(.*/, ''), 'shrink');
		assert.match(st.fragment, /zoom=/);
		// The tooltip of grow: before, after, change in bytes and percent, counts.
		const g = (await named(page, 'grow'))[0];
		await page.locator('#mf-reset').click();
		const g2 = (await named(page, 'grow'))[0];
		const box = await page.locator('#mf-canvas').boundingBox();
		await page.mouse.move(box.x + g2.x + g2.width / 2, box.y + g2.y + g2.height / 2);
		const tip = await page.locator('#mf-tip').innerText();
		for (const t of ['Before', '1000 B', 'After', '2.93 KiB', 'Change', '+1.95 KiB (+200.0%)', 'Allocations', '1 \u2192 1'])
			assert.ok(tip.includes(t), `tooltip lacks "${t}": ${tip}`);
		assert.ok(g.before === 1000);
		// The toggle: widths from BASE; vanish is drawn, appear is not.
		await page.locator('#mf-diff-widths').click();
		const b = await leaves(page);
		assert.deepEqual(b.vanish, [700, 0, 'rgb(171,194,235)', true]);
		assert.deepEqual(b.appear, [0, 900, 'rgb(232,150,150)', false]);
		assert.equal((await named(page, 'vanish'))[0].bytes, 700);
		assert.match(await page.evaluate(() => window.mf.state().fragment), /widths=base/);
		assert.match(await page.locator('#mf-legend').innerText(), /width = bytes before \(BASE\)/);
		assert.equal(await page.evaluate(() => window.mf.extension().widths()), 'base');
	},
	// The fragment restores BASE widths, a zoom and the flame view; search,
	// hiding and the thread filter work as on any page.
	async fragment(page) {
		assert.equal(await page.evaluate(() => window.mf.extension().widths()), 'base');
		const st = await page.evaluate(() => window.mf.state());
		assert.equal(st.view, 'flame');
		assert.equal(st.search, 'grow');
		assert.ok(st.searchShare > 0);
		assert.equal((await named(page, 'vanish'))[0].drawn, true);
		// Matches are pink, as on any page; the rest keep their change colours.
		const grow = (await named(page, 'grow'))[0];
		assert.equal(grow.matched, true);
		assert.equal((await named(page, 'shrink'))[0].colour, BLUE);
		await page.locator('#mf-hide').uncheck();
		assert.ok((await named(page, '_start')).length === 1);
		assert.equal((await named(page, 'grow'))[0].after, 3000);
	},
	// A diff of a reduction with itself: every frame unchanged, near-white.
	async same(page) {
		const all = await page.evaluate(() => window.mf.frames());
		assert.ok(all.length > 3);
		for (const f of all) {
			if (f.name === '<root>') continue;
			assert.equal(f.change, 0, `${f.name} changed`);
			assert.equal(f.colour, WHITE, `${f.name} is ${f.colour}`);
		}
		assert.equal(await page.evaluate(() => window.mf.extension().maxChange()), 0);
		assert.deepEqual(await page.locator('#mf-diff-list li').allInnerTexts(), ['no frame changed']);
		assert.match(await page.locator('#mf-header').innerText(), /Change: 0 B \(0\.00%\)/);
	},
	// Split threads: the thread filter keeps the diff's colours.
	async threads(page) {
		const threads = await page.evaluate(() => window.mf.threads());
		assert.ok(threads.length >= 1);
		await page.locator('#mf-thread').selectOption(String(threads[0].thread));
		const st = await page.evaluate(() => window.mf.state());
		assert.equal(st.thread, threads[0].thread);
		assert.equal((await named(page, 'grow'))[0].colour, RED);
	},
	// mf-peak --at's page (no diff): its kind and moment in the header.
	async live(page) {
		const header = await page.locator('#mf-header').innerText();
		assert.match(header, /live memory flame graph/);
		assert.match(header, /live at 1\.00 s/);
		assert.equal(await page.evaluate(() => window.mf.extension()), null);
		assert.equal(await page.evaluate(() => window.mf.meta.at_ms), 1000);
	},
	// Frame kinds from the module lines of both sides (base_module,
	// new_module), as on any page; a module of both sides is one module.
	async modules(page) {
		const kinds = Object.fromEntries((await page.evaluate(() => window.mf.frames())).map((f) => [f.name, f.kind]));
		assert.deepEqual(kinds, { '<root>': 'root', main: 'user', lib_call: 'lib', lib_line: 'lib',
			new_alloc: 'user', old_alloc: 'user', old_line: 'user' });
		await page.locator('#mf-stats-btn').click();
		const stats = await page.locator('#mf-stats-list').innerText();
		assert.equal(stats.split('/opt/app/bin/app').length, 2, `app is not listed once: ${stats}`);
	},

	// Metadata of both sides that is valid JSON of the wrong type or range
	// (issue 11, item 6): each value only loses itself, the page works.
	async hostile(page) {
		assert.equal(await page.evaluate(() => window.mf.extension().mode), 'diff');
		const a = await named(page, 'a'), b = await named(page, 'b');
		assert.deepEqual([a[0].before, a[0].after, b[0].before, b[0].after], [10, 20, 5, 0]);
		const header = await page.locator('#mf-header').innerText();
		assert.match(header, /before: \(no command\)/);
		assert.match(header, /after: \$ \.\/app 'a b'/);
		assert.match(header, /Change: \+5 B/);
		assert.match(header, /Difference: __proto__ \u2192 folded stacks/);	// a string shown as text
		assert.doesNotMatch(header, /\[object|undefined|Invalid|NaN|1969|e\+/);
		const warning = await page.locator('#mf-warning').innerText();
		for (const w of ['new_start_ms that is not a time', 'base_at_ms that is not a time', 'new_at_ms that is not a time', 'new_reducer that is not a string'])
			assert.ok(warning.includes('ignored metadata ' + w), `no warning about ${w}: ${warning}`);
		assert.doesNotMatch(await page.title(), /\[object|undefined|NaN/);
		await page.click('#mf-stats-btn');
		assert.doesNotMatch(await page.locator('#mf-stats-list').innerText(), /\[object|undefined|Invalid|NaN/);
		assert.equal(await page.evaluate(() => ({}).polluted), undefined);
	},
};

export async function main(argv, out, cwd) {
	const [check, file, hash = ''] = argv;
	if (!checks[check]) {
		out.error(`diff.mjs: unknown check '${check}'`);
		return 2;
	}
	const r = await openReport(path.resolve(cwd, file), { hash });
	let failed = false;
	try {
		await checks[check](r.page);
	} catch (e) {
		out.log(`${check}: ${e.message}`);
		failed = true;
	}
	await screenshot(r.page, 'diff-' + check, failed);
	if (r.problems.length) {
		out.log(`${check}: ${r.problems.join('\n')}`);
		failed = true;
	}
	await r.close();
	return failed ? 1 : 0;
}
await cli(import.meta.url, main);
