// check.mjs CHECK REPORT.html - one browser check of an mf-html report, run
// by tests/html.bats; several checks of one page, and several pages, in
// one run (main, below).  Prints what went wrong and exits
// 1 on failure.  Every check also fails on a console error or warning, a
// page error, an alert, or any request that is not a file: URL.  A check
// that fails saves a screenshot to tests/artifacts/CHECK-failed.png (every
// check saves tests/artifacts/CHECK.png with MF_SCREENSHOTS set: lib.mjs).
import assert from 'node:assert/strict';
import path from 'node:path';
import { cli, runChecks, screenshot } from './lib.mjs';

const mf = {
	state: (page) => page.evaluate(() => window.mf.state()),
	frames: (page) => page.evaluate(() => window.mf.frames()),
	totals: (page) => page.evaluate(() => window.mf.totals),
};

async function frame(page, name, location) {
	const all = await mf.frames(page);
	const hits = all.filter((f) => f.name === name && (location === undefined || f.location === location));
	assert.equal(hits.length, 1, `expected one frame ${name} ${location ?? ''}, found ${hits.length}`);
	return hits[0];
}

async function clickFrame(page, name, location) {
	const f = await frame(page, name, location);
	assert.ok(f.drawn, `frame ${name} is not drawn`);
	const box = await page.locator('#mf-canvas').boundingBox();
	await page.mouse.click(box.x + f.x + f.width / 2, box.y + f.y + f.height / 2);
}

// The canvas pixel at the middle of a frame, as [r, g, b].
async function pixel(page, f) {
	return page.evaluate(([x, y]) => {
		const c = document.getElementById('mf-canvas');
		const k = c.width / c.clientWidth;
		const one = document.createElement('canvas');
		one.width = one.height = 1;
		const g = one.getContext('2d', { willReadFrequently: true });
		g.drawImage(c, Math.round(x * k), Math.round(y * k), 1, 1, 0, 0, 1, 1);
		return Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3));
	}, [f.x + 2, f.y + f.height - 3]);
}

const names = async (page) => (await mf.frames(page)).map((f) => f.name);

const checks = {
	// The expected frames, with the bytes and counts of the fixture.
	async frames({ page }) {
		const t = await mf.totals(page);
		assert.deepEqual([t.value, t.count, t.stacks, t.unit], [700000, 5, 4, 'bytes']);
		const root = await frame(page, '<root>');
		assert.deepEqual([root.bytes, root.count, root.depth, root.width], [700000, 5, 0, await page.locator('#mf-canvas').evaluate((c) => c.clientWidth)]);
		const i = await frame(page, 'i', '/src/app.c:34');
		assert.deepEqual([i.bytes, i.self, i.count, i.depth], [400000, 400000, 2, 3]);
		const b = await frame(page, 'b', '/src/app.c:8');
		assert.deepEqual([b.bytes, b.self, b.count], [200000, 0, 2]);
		const c = await frame(page, 'c', '/src/app.c:12');
		assert.deepEqual([c.bytes, c.self, c.depth, c.kind], [100000, 100000, 4, 'user']);
		const v = await frame(page, 'std::vector<int, std::allocator<int> >::_M_realloc_insert(int const&)');
		assert.deepEqual([v.bytes, v.kind, v.depth], [100000, 'lib', 2]);
		assert.equal(Math.round(i.width * 7), Math.round(root.width * 4), 'widths are in proportion to bytes');
		assert.match(await page.locator('#mf-totals').innerText(), /At the peak: 684 KiB · in 5 allocations · peak at 1\.53 s · duration 2\.21 s · 1,200 allocations in all/);
		assert.equal(await page.locator('#mf-command').innerText(), '$ ./app --size 100000');
		assert.equal(await page.title(), 'Peak memory: ./app --size 100000');
	},

	// Icicle by default; the flame view mirrors every row.
	async orient({ page }) {
		const before = await frame(page, 'c', '/src/app.c:12');
		const rows = (await mf.state(page)).rows;
		assert.equal(rows, 5);
		assert.equal(before.y, 4 * 18);
		await page.click('#mf-orient');
		assert.equal((await mf.state(page)).view, 'flame');
		const after = await frame(page, 'c', '/src/app.c:12');
		assert.equal(after.y, (rows - 1 - 4) * 18);
		assert.deepEqual([after.x, after.width, after.bytes], [before.x, before.width, before.bytes]);
		const root = await frame(page, '<root>');
		assert.equal(root.y, (rows - 1) * 18);
		assert.equal(await page.locator('#mf-orient').innerText(), 'Icicle view');
		await screenshot(page, 'orient-flame');
		await page.click('#mf-orient');
		assert.equal((await frame(page, 'c', '/src/app.c:12')).y, 4 * 18);
	},

	// Irrelevant frames are hidden by default; their bytes stay with the parents.
	async hide({ page }) {
		const hidden = ['_start', '__libc_start_main', 'operator new(unsigned long)',
			'std::allocator_traits<std::allocator<int> >::allocate(std::allocator<int>&, unsigned long)',
			'std::__new_allocator<int>::allocate(unsigned long, void const*)'];
		assert.equal(await page.locator('#mf-hide').isChecked(), true);
		let all = await names(page);
		for (const h of hidden) assert.ok(!all.includes(h), `${h} shown while hidden`);
		const mainsBefore = (await mf.frames(page)).filter((f) => f.name === 'main').map((f) => [f.location, f.bytes, f.depth]);
		assert.deepEqual(mainsBefore.sort(), [['/src/app.c:24', 200000, 1], ['/src/app.c:25', 400000, 1], ['/src/app.c:26', 100000, 1]]);
		await page.click('#mf-hide');
		all = await names(page);
		for (const h of hidden) assert.ok(all.includes(h), `${h} missing while shown`);
		const start = await frame(page, '_start');
		assert.deepEqual([start.bytes, start.count, start.depth, start.kind], [700000, 5, 1, 'system']);
		assert.equal((await frame(page, 'operator new(unsigned long)')).self, 100000);
		assert.equal((await mf.state(page)).total, 700000);
		assert.equal((await mf.state(page)).fragment, '#hide=0');
		await screenshot(page, 'hide-off');
		// The zoom survives switching hiding on and off.
		await clickFrame(page, 'b', '/src/app.c:8');
		await page.click('#mf-hide');
		assert.deepEqual((await mf.state(page)).zoom, ['main (/src/app.c:24)', 'a (/src/app.c:4)', 'b (/src/app.c:8)']);
		await page.click('#mf-hide');
		assert.deepEqual((await mf.state(page)).zoom, ['_start (/lib/x86_64-linux-gnu/libc.so.6)',
			'__libc_start_main (/lib/x86_64-linux-gnu/libc.so.6)', 'main (/src/app.c:24)', 'a (/src/app.c:4)', 'b (/src/app.c:8)']);
		await page.click('#mf-reset');
		await page.click('#mf-hide');
		assert.ok(!(await names(page)).includes('_start'));
		assert.equal((await mf.state(page)).total, 700000);
	},

	// A --hide pattern from the command line hides more frames.
	async hideextra({ page }) {
		const all = await names(page);
		assert.ok(!all.includes('a'), 'frame a is hidden by --hide');
		const b = await frame(page, 'b', '/src/app.c:8');
		assert.deepEqual([b.depth, b.bytes], [2, 200000]);
	},

	// The thread filter shows one thread's graph; Reset goes back to all.
	async threads({ page }) {
		const options = await page.locator('#mf-thread option').allInnerTexts();
		assert.deepEqual(options, ['Reset (all threads)', '1: main', '2: worker', '3: io']);
		assert.equal((await frame(page, '<root>')).bytes, 16000);
		const compute = (await mf.frames(page)).filter((f) => f.name === 'compute').map((f) => f.bytes).sort();
		assert.deepEqual(compute, [4000, 8000]);
		await page.selectOption('#mf-thread', '2');
		const s = await mf.state(page);
		assert.deepEqual([s.thread, s.total, s.count, s.fragment], [2, 9000, 3, '#thread=2']);
		const shown = await mf.frames(page);
		assert.deepEqual(shown.map((f) => [f.name, f.location, f.bytes]), [
			['<root>', '', 9000], ['thread 2', 'worker', 9000], ['work', '/src/t.c:20', 8000],
			['compute', '/src/t.c:25', 8000], ['work', '/src/t.c:21', 1000]]);
		await screenshot(page, 'threads-2');
		await page.selectOption('#mf-thread', '');
		assert.equal((await mf.state(page)).total, 16000);
		assert.equal((await mf.state(page)).thread, null);
	},

	// "/" focuses the search box; matches turn pink and their share is shown.
	async search({ page }) {
		await page.keyboard.press('/');
		assert.equal(await page.evaluate(() => document.activeElement.id), 'mf-search');
		await page.keyboard.type('^comp');
		await page.keyboard.press('Enter');
		const s = await mf.state(page);
		assert.deepEqual([s.search, s.searchShare, s.searchBytes], ['^comp', 0.75, 12000]);
		assert.equal(await page.locator('#mf-match').innerText(), '75.0% of the total (11.7 KiB)');
		const frames = await mf.frames(page);
		assert.deepEqual(frames.filter((f) => f.matched).map((f) => f.name), ['compute', 'compute']);
		const hit = frames.find((f) => f.matched), miss = frames.find((f) => f.name === 'reader');
		assert.deepEqual(await pixel(page, hit), [240, 101, 149]);
		assert.notDeepEqual(await pixel(page, miss), [240, 101, 149]);
		await screenshot(page, 'search');
		// Locations match too; a bad expression is reported, not thrown.
		await page.fill('#mf-search', 't\\.c:2[01]');
		await page.keyboard.press('Enter');
		assert.equal((await mf.state(page)).searchShare, 9000 / 16000);
		await page.fill('#mf-search', '(');
		await page.keyboard.press('Enter');
		assert.equal((await mf.state(page)).searchValid, false);
		assert.equal(await page.locator('#mf-match').innerText(), 'not a valid regular expression');
	},

	// Click zooms; the frame fills the width; Reset and Esc zoom out.
	async zoom({ page }) {
		const width = await page.locator('#mf-canvas').evaluate((c) => c.clientWidth);
		assert.equal(await page.locator('#mf-reset').isDisabled(), true);
		await clickFrame(page, 'b', '/src/app.c:8');
		let s = await mf.state(page);
		assert.deepEqual(s.zoom, ['main (/src/app.c:24)', 'a (/src/app.c:4)', 'b (/src/app.c:8)']);
		assert.equal(s.zoomBytes, 200000);
		const b = await frame(page, 'b', '/src/app.c:8');
		const c = await frame(page, 'c', '/src/app.c:12');
		const i = await frame(page, 'i');
		assert.deepEqual([b.x, b.width, c.width], [0, width, width / 2]);
		assert.equal(i.width, 0, 'frames outside the zoomed one are not drawn');
		assert.equal((await frame(page, 'main', '/src/app.c:24')).width, width, 'callers span the width');
		await screenshot(page, 'zoom-in');
		await page.click('#mf-reset');
		s = await mf.state(page);
		assert.deepEqual([s.zoom, s.fragment], [[], '']);
		await clickFrame(page, 'h');
		assert.equal((await mf.state(page)).zoomBytes, 400000);
		await page.keyboard.press('Escape');
		assert.deepEqual((await mf.state(page)).zoom, []);
	},

	// A frame too narrow to draw at the top level is drawn once zoomed in.
	async narrow({ page }) {
		const tiny = await frame(page, 'tiny', '/src/n.c:3');
		assert.deepEqual([tiny.drawn, tiny.bytes], [false, 10]);
		await clickFrame(page, 'parent', '/src/n.c:2');
		const after = await frame(page, 'tiny', '/src/n.c:3');
		assert.ok(after.drawn && after.width > 1, 'zoomed-in tiny frame is drawn');
		await clickFrame(page, 'tiny', '/src/n.c:3');
		assert.equal((await mf.state(page)).zoomBytes, 10);
	},

	// The browser's Back button undoes zooms one at a time.
	async back({ page }) {
		await clickFrame(page, 'b', '/src/app.c:8');
		await clickFrame(page, 'c', '/src/app.c:12');
		assert.equal((await mf.state(page)).zoom.length, 4);
		await page.goBack();
		await page.waitForFunction(() => window.mf.state().zoom.length === 3);
		await page.goBack();
		await page.waitForFunction(() => window.mf.state().zoom.length === 0);
		await page.goForward();
		await page.waitForFunction(() => window.mf.state().zoom.length === 3);
	},

	// A fragment opens the same view; a reload keeps it.
	async fragment({ page }) {
		const s = await mf.state(page);
		assert.deepEqual([s.view, s.search, s.hide, s.thread], ['flame', 'compute', false, 2]);
		assert.deepEqual(s.zoom, ['thread 2 (worker)', 'clone3 (/lib/x86_64-linux-gnu/libc.so.6)',
			'start_thread (/lib/x86_64-linux-gnu/libc.so.6)', 'work (/src/t.c:20)']);
		assert.equal(await page.locator('#mf-hide').isChecked(), false);
		assert.equal(await page.locator('#mf-search').inputValue(), 'compute');
		assert.equal(await page.locator('#mf-thread').inputValue(), '2');
		await screenshot(page, 'fragment');
		await page.click('#mf-orient');
		await page.reload();
		await page.waitForFunction(() => window.mf && window.mf.state().firstRenderMs > 0);
		const r = await mf.state(page);
		assert.deepEqual([r.view, r.search, r.hide, r.thread, r.zoom.length], ['icicle', 'compute', false, 2, 4]);
	},

	// A report with nothing in it renders (firstRenderMs is set) and says so.
	async empty({ page }) {
		assert.equal(await page.locator('#mf-empty').innerText(), 'No allocations to show.');
		assert.equal(await page.locator('#mf-graph').isVisible(), false);
		const r = await mf.state(page);
		assert.ok(r.firstRenderMs > 0);
		assert.deepEqual(await page.evaluate(() => window.mf.frames().map((f) => [f.name, f.bytes, f.count, f.drawn])), [['<root>', 0, 0, false]]);
	},

	// Frame names are text: no element, no script, no alert.
	async xss({ page }) {
		assert.ok((await names(page)).includes('<img src=x onerror=alert(1)>'));
		assert.ok((await names(page)).includes('semi;colon & "quotes" \\ back'));
		assert.equal(await page.locator('img').count(), 0);
		assert.equal(await page.locator('b:text("bold")').count(), 0);
		assert.equal(await page.locator('#mf-command').innerText(), '$ </script><script>alert(1)</script>');
		assert.equal(await page.locator('script').count(), 2);
		const f = await frame(page, '<img src=x onerror=alert(1)>');
		const box = await page.locator('#mf-canvas').boundingBox();
		await page.mouse.move(box.x + f.x + 10, box.y + f.y + 5);
		assert.equal(await page.locator('#mf-tip .mf-tip-fn').innerText(), '<img src=x onerror=alert(1)>');
	},

	// The tooltip: function, location, total, self, share, allocations.
	async tooltip({ page }) {
		const f = await frame(page, 'b', '/src/app.c:8');
		const box = await page.locator('#mf-canvas').boundingBox();
		await page.mouse.move(box.x + f.x + 5, box.y + f.y + 5);
		assert.equal(await page.locator('#mf-tip').isVisible(), true);
		assert.equal(await page.locator('#mf-tip').innerText(),
			'b\n/src/app.c:8\nTotal\t195 KiB\nSelf\t0 B\nShare of total\t28.6%\nAllocations\t2');
		await screenshot(page, 'tooltip');
	},

	// Inverted input says so.
	async inverted({ page }) {
		assert.equal(await page.locator('#mf-inverted').isVisible(), true);
		assert.equal(await page.title(), 'Peak memory (inverted)');
		assert.equal(await page.locator('#mf-title').textContent(), 'mf \u2014 peak memory flame graph');
		assert.match(await page.locator('#mf-help-what').textContent(), /inverted: the functions that allocated are next to the root/);
		const a = await frame(page, 'a', '/src/inv.c:2');
		assert.deepEqual([a.depth, a.bytes, a.count], [1, 3000000, 3]);
	},

	// Plain flamegraph.pl input: duplicate stacks add up, no counts.
	async plain({ page }) {
		const t = await mf.totals(page);
		assert.deepEqual([t.value, t.count, t.stacks], [1100, null, 4]);
		assert.equal((await frame(page, 'read_line')).bytes, 400);
		assert.equal((await frame(page, 'parse')).bytes, 900);
		assert.equal(await page.locator('#mf-thread-box').isVisible(), false);
		assert.equal(await page.locator('#mf-spark').isVisible(), false);
		assert.equal(await page.title(), 'Memory flame graph');
		assert.equal(await page.locator('#mf-title').textContent(), 'mf \u2014 memory flame graph');
	},

	// The memory sparkline opens a chart; its CSV comes from a blob: URL.
	async memory({ page }) {
		await page.click('#mf-spark');
		assert.equal(await page.locator('#mf-memory').isVisible(), true);
		await screenshot(page, 'memory-chart');
		const [download] = await Promise.all([page.waitForEvent('download'), page.click('#mf-csv')]);
		assert.match(download.url(), /^blob:/);
		const stream = await download.createReadStream();
		let text = '';
		for await (const chunk of stream) text += chunk;
		assert.equal(text, 'ms,heap_bytes,rss_bytes\n0,0,1773568\n10,100000,2000000\n20,400000,2400000\n30,700000,2900000\n40,300000,2900000\n50,250000,2800000\n');
		await page.click('#mf-memory-close');
		await page.click('#mf-stats-btn');
		const stats = await page.locator('#mf-stats-list').innerText();
		assert.match(stats, /Start time\s+2025-11-26 03:30:00 UTC/);
		assert.match(stats, /Duration\s+2\.21 s/);
		assert.match(stats, /Distinct frames\s+15/);
	},

	// Dark theme follows the system and can be switched.
	async theme({ page }) {
		assert.equal((await mf.state(page)).theme, 'dark');
		await screenshot(page, 'theme-dark');
		await page.click('#mf-theme');
		assert.equal((await mf.state(page)).theme, 'light');
		assert.equal(await page.evaluate(() => document.documentElement.classList.contains('mf-dark')), false);
	},

	// value="count": widths and totals are numbers of allocations.
	async count({ page }) {
		const t = await mf.totals(page);
		assert.deepEqual([t.value, t.bytes, t.unit], [1503, null, 'count']);
		assert.equal(await page.locator('#mf-totals').innerText(), 'Shown: 1,503 allocations');
		assert.equal(await page.title(), 'All allocations');
		const f = await frame(page, 'tokenize');
		const box = await page.locator('#mf-canvas').boundingBox();
		await page.mouse.move(box.x + f.x + 5, box.y + f.y + 5);
		assert.equal(await page.locator('#mf-tip').innerText(),
			'tokenize\n/src/c.c:20\nTotal\t1,500 allocations\nSelf\t1,500 allocations\nShare of total\t99.8%');
	},

	// Metadata that is valid JSON of the wrong type loses only itself:
	// the graph, the controls and window.mf are there, the warning says
	// which key was ignored (WARNING, '' for none), the stats panel opens.
	async hostile({ page }, warning = '') {
		assert.equal((await frame(page, '<root>')).bytes, 300);
		assert.equal((await frame(page, 'b')).bytes, 200);
		const w = page.locator('#mf-warning');
		assert.equal(warning ? await w.innerText() : await w.isVisible(), warning || false);
		await page.click('#mf-stats-btn');
		const stats = await page.locator('#mf-stats-list').innerText();
		assert.doesNotMatch(stats, /\[object|Invalid|NaN|End time/);
		assert.match(stats, /Distinct stacks\s+2/);
		assert.doesNotMatch(await page.title(), /undefined|\[object/);
	},

	// A reducer named like an Object property is an unknown reducer.
	async protoreducer({ page }) {
		assert.equal(await page.title(), 'Memory flame graph');
		assert.equal((await frame(page, '<root>')).bytes, 300);
	},

	// # argv=[...] is shown as a shell would need it, before # command.
	async argv({ page }) {
		const want = "./app 'a b' '' 'it'\\''s' x=1,y@2:%+/.- '$HOME' 'two\nlines'";
		assert.equal(await page.locator('#mf-command').innerText(), '$ ' + want);
		assert.equal(await page.title(), 'Peak memory: ' + want.replace('\n', ' '));
		await page.click('#mf-stats-btn');
		assert.equal(await page.locator('#mf-stats-list dd').first().textContent(), want);
	},

	// A thread name with a newline: the filter still finds its stacks.
	async threadnewline({ page }) {
		const options = await page.locator('#mf-thread option').allInnerTexts();
		assert.deepEqual(options, ['Reset (all threads)', '1: main', '2: work\\x0aer', '3: io']);
		await page.selectOption('#mf-thread', '2');
		const s = await mf.state(page);
		assert.deepEqual([s.thread, s.total, s.count], [2, 9000, 3]);
		assert.equal((await frame(page, 'thread 2')).location, 'work\ner');
	},

	// A memory record that is not numbers is dropped; no CSV cell is a formula.
	async csv({ page }) {
		assert.equal(await page.locator('#mf-warning').innerText(),
			'ignored metadata memory that is not a [MS,HEAP,RSS] of numbers; ignored metadata memory that is not a [MS,HEAP,RSS] of numbers');
		await page.click('#mf-spark');
		const [download] = await Promise.all([page.waitForEvent('download'), page.click('#mf-csv')]);
		const stream = await download.createReadStream();
		let text = '';
		for await (const chunk of stream) text += chunk;
		assert.equal(text, 'ms,heap_bytes,rss_bytes\n0,100,200\n10,300,400\n');
	},

	// A pattern that makes the browser's engine backtrack for a minute
	// (from the fragment or --hide) is matched at once, without backtracking.
	async backtrack({ page }, hidden) {
		const a32 = 'a'.repeat(32) + '!';
		if (hidden) {
			assert.deepEqual((await names(page)).sort(), ['<root>', a32, 'b', 'main']);
			assert.deepEqual([(await mf.state(page)).total, (await frame(page, 'main')).self], [310, 10]);
			return;
		}
		const s = await mf.state(page);
		assert.deepEqual([s.search, s.searchValid, s.searchShare], ['(a+)+$', true, 10 / 310]);
		assert.equal(await page.locator('#mf-match').innerText(), '3.23% of the total (10 B)');
		assert.deepEqual((await mf.frames(page)).filter((f) => f.matched).map((f) => f.name), ['xaa']);
	},

	// A pattern too large for the text stops after the budget and says so.
	async slowsearch({ page }) {
		await page.fill('#mf-search', '(a?){2000}a{2000}b');
		await page.keyboard.press('Enter');
		const s = await mf.state(page);
		assert.deepEqual([s.searchValid, s.searchProblem, s.searchShare], [false, 'pattern too slow: stopped after 1000 ms', 0]);
		assert.equal(await page.locator('#mf-match').innerText(), 'pattern too slow: stopped after 1000 ms');
		assert.equal(await page.locator('#mf-search').getAttribute('class'), 'mf-bad');
		await page.fill('#mf-search', 'b|x');
		await page.keyboard.press('Enter');
		assert.equal((await mf.state(page)).searchProblem, null);
		assert.equal((await mf.state(page)).searchShare, 210 / 311);
	},

	// The same --hide pattern is left out, with a warning.
	async slowhide({ page }) {
		assert.equal(await page.locator('#mf-warning').innerText(),
			'ignored --hide pattern that was too slow to match: (a?){2000}a{2000}b');
		assert.equal((await frame(page, 'b')).bytes, 200);
	},

	// A stack 5,000 frames deep: the canvas stays within the window and
	// the deepest frame is drawn once scrolled to.
	async deep({ page }) {
		assert.equal((await mf.state(page)).rows, 5001);
		const height = await page.locator('#mf-canvas').evaluate((c) => c.height);
		assert.ok(height <= 800, `canvas ${height} px tall`);
		await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
		await page.waitForFunction(() => {
			const f = window.mf.frames().find((x) => x.depth === 5000);
			return f.y >= 0 && f.y + f.height <= document.getElementById('mf-canvas').clientHeight;
		});
		const f = (await mf.frames(page)).find((x) => x.depth === 5000);
		assert.equal(f.name, 'f4999');
		const rgba = await page.evaluate(([x, y]) => {
			const c = document.getElementById('mf-canvas'), k = c.width / c.clientWidth;
			const one = document.createElement('canvas');
			one.width = one.height = 1;
			const g = one.getContext('2d', { willReadFrequently: true });
			g.drawImage(c, Math.round(x * k), Math.round(y * k), 1, 1, 0, 0, 1, 1);
			return Array.from(g.getImageData(0, 0, 1, 1).data);
		}, [f.x + 2, f.y + f.height - 3]);
		assert.equal(rgba[3], 255, `the deepest frame is not drawn: ${rgba}`);
		// A click there zooms into it.
		const box = await page.locator('#mf-canvas').boundingBox();
		await page.mouse.click(box.x + f.x + 5, box.y + f.y + 5);
		assert.equal((await mf.state(page)).zoom.length, 5000);
	},

	// Kinds by module and path (docs/REPORT.md, "Colours"): the program's
	// frames, a plugin outside the system's directories with and without
	// lines are the user's; glibc, C++ headers, Rust's std are libraries;
	// C++ and Rust allocation plumbing is hidden; short labels keep the
	// function's own name.
	async kinds({ page }) {
		const R = '/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/alloc/src';
		const kind = async (name) => { const f = await frame(page, name); return [f.kind, f.bytes, f.depth]; };
		assert.deepEqual(await kind('main'), ['user', 1506, 1]);
		assert.deepEqual(await kind('plugin_make'), ['user', 100, 2]);
		assert.deepEqual(await kind('libnodebug.so+0x1234'), ['user', 500, 2]);
		assert.deepEqual(await kind('strdup'), ['lib', 400, 2]);
		assert.deepEqual(await kind('std::vector<int, std::allocator<int> >::push_back(int const&)'), ['lib', 200, 2]);
		assert.deepEqual(await kind('alloc::vec::Vec<T,A>::push'), ['lib', 300, 2]);
		const inv = await frame(page, 'v8::internal::(anonymous namespace)::Invoke(v8::internal::Isolate*, v8::internal::(anonymous namespace)::InvokeParams const&)');
		assert.deepEqual([inv.kind, inv.short], ['user', 'internal::Invoke']);
		assert.equal((await frame(page, 'std::vector<int, std::allocator<int> >::push_back(int const&)')).short, 'vector::push_back');
		assert.equal((await frame(page, 'alloc::vec::Vec<T,A>::push')).self, 300);
		const plumbing = ['_start', '__libc_start_main_impl', 'operator new(unsigned long)', 'alloc::raw_vec::finish_grow',
			'alloc::alloc::alloc::h0afb5a4d462339b5', '__rust_alloc'];
		for (const h of plumbing) assert.ok(!(await names(page)).includes(h), `${h} shown while hidden`);
		await page.click('#mf-hide');
		for (const h of plumbing) {
			const f = await frame(page, h);
			assert.deepEqual([f.kind, f.hidden], ['system', true], h);
		}
		assert.deepEqual([(await frame(page, '__rust_alloc')).location, (await frame(page, '__rust_alloc')).self], ['app', 300]);
		assert.equal((await frame(page, 'alloc::raw_vec::finish_grow')).location, R + '/raw_vec.rs:513');
		assert.equal((await frame(page, 'main')).kind, 'user');
	},

	// A stripped program in /usr/bin is the user's code; the stats panel
	// lists the modules without debug information and where their debug
	// files would go; the command line is quoted as a shell needs it.
	async stripped({ page }, jqId, libcId) {
		assert.deepEqual((await mf.frames(page)).map((f) => [f.name, f.kind, f.bytes]),
			[['<root>', 'root', 150], ['jq+0x2cf0', 'user', 150], ['jq+0x4a10', 'user', 150], ['strdup', 'lib', 100]]);
		const want = "jq -c 'select(.id % 3 == 0)' data.jsonl";
		assert.equal(await page.locator('#mf-command').innerText(), '$ ' + want);
		await page.click('#mf-stats-btn');
		const dd = await page.locator('#mf-stats-list dd').allTextContents();
		assert.equal(dd[0], want);
		const dbg = (id) => `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
		assert.deepEqual(dd.slice(-2), [
			`/usr/bin/jq \u2014 a -dbgsym or -dbg package would install ${dbg(jqId)}`,
			`/usr/lib/x86_64-linux-gnu/libc.so.6 \u2014 a -dbgsym or -dbg package would install ${dbg(libcId)}`]);
		assert.equal(await page.locator('#mf-stats-list dt').last().textContent(), 'Without debug information');
	},

	// Python: the user's functions are user code, the standard library's
	// are libraries; with hiding on, CPython's frames and the import
	// machinery are gone where Python frames are (their bytes with their
	// callers), and the interpreter's start-up keeps its native frames.
	async python({ page }) {
		const shown = async () => (await mf.frames(page)).map((f) => [f.depth, f.name, f.location, f.kind, f.bytes, f.self]);
		assert.deepEqual(await shown(), [
			[0, '<root>', '', 'root', 7800, 0],
			[1, '_run_code', '<frozen runpy>:88', 'lib', 6800, 0],
			[2, '<module>', '/work/py/app.py:12', 'user', 6800, 0],
			[3, 'loads', '/usr/lib/python3.11/json/__init__.py:346', 'lib', 4000, 0],
			[4, 'JSONDecoder.decode', '/usr/lib/python3.11/json/decoder.py:337', 'lib', 4000, 0],
			[5, 'scanstring_unicode', '_json.cpython-311-x86_64-linux-gnu.so', 'lib', 4000, 4000],
			[3, 'make', '/work/py/app.py:5', 'user', 2000, 2000],
			[3, '<lambda>', '<string>:1', 'user', 500, 0],
			[4, 'Outer.method.<locals>.inner', '/work/py/app.py:20', 'user', 500, 500],
			[3, '<module>', '/work/py/helper.py:3', 'user', 300, 300],
			[1, 'main', 'python3.11', 'system', 1000, 0],
			[2, 'Py_BytesMain', 'python3.11', 'system', 1000, 0],
			[3, 'PyUnicode_New', 'python3.11', 'system', 1000, 1000]]);
		assert.equal((await frame(page, 'Outer.method.<locals>.inner')).short, 'method.inner');
		await page.click('#mf-hide');
		const all = await mf.frames(page);
		const info = (name, loc) => all.filter((f) => f.name === name && (!loc || f.location === loc)).map((f) => [f.depth, f.kind, f.hidden, f.bytes]);
		assert.deepEqual(info('main'), [[2, 'system', true, 7800]]);
		assert.deepEqual(info('_find_and_load'), [[6, 'system', true, 300]]);
		assert.deepEqual(info('SourceFileLoader.exec_module'), [[7, 'system', true, 300]]);
		assert.deepEqual(info('PyObject_Malloc'), [[9, 'system', true, 300]]);
		assert.deepEqual(info('list_resize'), [[7, 'system', true, 2000]]);
		assert.deepEqual(info('PyUnicode_New'), [[9, 'system', true, 4000], [8, 'system', true, 500], [4, 'system', true, 1000]]);
		assert.deepEqual(info('<module>', '/work/py/app.py:12'), [[5, 'user', false, 6800]]);
		assert.deepEqual(info('scanstring_unicode'), [[8, 'lib', false, 4000]]);
		assert.equal((await mf.state(page)).total, 7800);
	},

	// A real recording of tests/progs/py_simple.py (tests/python.bats):
	// hiding on, the Python functions are the top levels, c and d of equal
	// width under b under a; hiding off, CPython's frames come back above
	// them, marked irrelevant.  FILE: the program's path.
	async pyreal({ page }, file) {
		const at = (name, line) => frame(page, name, `${file}:${line}`);
		const m = await at('<module>', 13), a = await at('a', 2), b = await at('b', 5);
		const c = await at('c', 8), d = await at('d', 11);
		assert.deepEqual([m.depth, a.depth, b.depth, c.depth, d.depth], [1, 2, 3, 4, 4]);
		assert.deepEqual([m.kind, a.kind, c.kind, m.hidden], ['user', 'user', 'user', false]);
		assert.equal(c.bytes, d.bytes);
		assert.ok(c.bytes >= 100000, `c holds ${c.bytes} bytes`);
		// b's own bytes: the list it returns.
		assert.deepEqual([a.bytes, b.bytes], [b.bytes, c.bytes + d.bytes + b.self]);
		await page.click('#mf-hide');
		const shown = await frame(page, '<module>', `${file}:13`);
		assert.ok(shown.depth > 1, `<module> at depth ${shown.depth} with hiding off`);
		// (The evaluation loop itself is woven away: the Python frames replace it.)
		const run = (await mf.frames(page)).filter((f) => f.name === 'Py_RunMain' && f.drawn);
		assert.ok(run.length > 0, 'no Py_RunMain with hiding off');
		assert.ok(run.every((f) => f.hidden && f.kind === 'system' && f.depth < shown.depth),
			'CPython frames not above the Python ones, marked irrelevant');
	},

	// Folded stacks without module lines: the paths alone decide.
	async pathkinds({ page }) {
		const k = (await mf.frames(page)).map((f) => [f.name, f.kind]);
		assert.deepEqual(k, [['<root>', 'root'], ['main', 'user'], ['strdup', 'lib'], ['jq+0x10', 'user'],
			['foo', 'lib'], ['std::sort<int*>(int*, int*)', 'lib'], ['run', 'user'], ['json_load', 'lib'],
			['0x7f6a240075db', 'lib']]);
		await page.click('#mf-hide');
		const f = await frame(page, 'PyList_Append');
		assert.deepEqual([f.kind, f.hidden, f.bytes], ['system', true, 500]);
	},

	// Nothing but the page itself was loaded (checked for every check too).
	async network({ requests }) {
		assert.equal(requests.length, 1, `requests: ${requests.join(' ')}`);
		assert.match(requests[0], /^file:/);
	},
};

// main: CHECK REPORT.html [#FRAGMENT] [light|dark] [ARGS...], then more of
// the same after "--": each REPORT loaded once, in one browser context for
// all (lib.mjs runChecks), its CHECK run on it; CHECK may be several joined
// by "+" (frames+tooltip), run one after the other on the same page.
export async function main(argv, out, cwd) {
	const loads = [];
	for (let rest = argv; rest.length;) {
		const end = rest.indexOf('--');
		const group = end < 0 ? rest : rest.slice(0, end);
		rest = end < 0 ? [] : rest.slice(end + 1);
		const [names = '', file, hash = '', scheme = 'light', ...args] = group;
		const bad = names.split('+').filter((n) => !Object.hasOwn(checks, n));
		if (bad.length || !file) {
			out.error(`usage: node check.mjs CHECK[+CHECK...] REPORT.html [#FRAGMENT] [light|dark] [ARGS...] [-- CHECK REPORT.html ...]\nchecks: ${Object.keys(checks).join(' ')}`);
			return 2;
		}
		loads.push({ file: path.resolve(cwd, file), options: { hash, colorScheme: scheme },
			checks: names.split('+').map((n) => [n, n, (r) => checks[n](r, ...args)]) });
	}
	if (!loads.length) {
		out.error('usage: node check.mjs CHECK[+CHECK...] REPORT.html [#FRAGMENT] [light|dark] [ARGS...] [-- CHECK REPORT.html ...]');
		return 2;
	}
	return runChecks(loads, out);
}
// A page that blocks its thread (a backtracking regular expression, before
// page-match.js) would block the check for ever: it fails after 5 minutes
// (cli).
await cli(import.meta.url, main);
