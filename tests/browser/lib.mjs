// lib.mjs - open an mf-html page in the system chromium, headless, with no
// network: every request that is not a file: URL is recorded and aborted,
// and console errors and page errors are collected for the checks.
//
// When MF_BROWSER_WS names a running browser server (tests/run starts one,
// tests/browser/server.mjs, for the whole suite), the page opens in a new
// context of it: as separate from every other check as a browser of its
// own, without the seconds a start of chromium costs.  Otherwise (a check
// run by hand, the benchmarks) it starts its own chromium.  Inside the
// check server (server.mjs) the page opens in a new context of the server's
// own browser (useBrowser).
//
// playwright-core is imported only when a page opens: a check that only
// hands its arguments to the check server (cli, below) starts in a tenth of
// the time.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const LAUNCH = { executablePath: '/usr/bin/chromium', headless: true, args: ARGS.filter((a) => a !== '--headless') };

let ownBrowser = null;
// The check server's browser: every page opens in a new context of it.
export function useBrowser(browser) { ownBrowser = browser; }

// A fresh browser context, and what to do once it is closed.
async function newContext(options) {
	if (ownBrowser) return { context: await ownBrowser.newContext(options), release: async () => {} };
	const { chromium } = await import('playwright-core');
	if (process.env.MF_BROWSER_WS) {
		const browser = await chromium.connect(process.env.MF_BROWSER_WS);
		const context = await browser.newContext(options);
		return { context, release: () => browser.close() };
	}
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mf-browser-'));
	const context = await chromium.launchPersistentContext(profile, { ...LAUNCH, ...options });
	return { context, release: async () => fs.rmSync(profile, { recursive: true, force: true }) };
}

export async function openReport(file, { width = 1280, height = 800, colorScheme = 'light', hash = '', warm = false } = {}) {
	const r = await openContext({ width, height, colorScheme });
	// For timing: a first page (warm: its path) starts the browser's
	// machinery, so the report's own load is what gets measured.
	if (warm) await r.page.goto(pathToFileURL(path.resolve(warm)).href);
	await loadReport(r, file, hash);
	return r;
}

// A new context and its page, which collect problems and requests (see
// above) for loadReport; close() ends both.
export async function openContext({ width = 1280, height = 800, colorScheme = 'light' } = {}) {
	const { context, release } = await newContext({ viewport: { width, height }, colorScheme });
	const problems = [];
	const requests = [];
	await context.route('**/*', (route) => {
		const url = route.request().url();
		requests.push(url);
		if (url.startsWith('file:')) return route.continue();
		problems.push(`network request to ${url}`);
		return route.abort();
	});
	const page = context.pages()[0] || await context.newPage();
	page.on('console', (msg) => {
		if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
	});
	page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
	page.on('dialog', (d) => { problems.push(`dialog opened: ${d.message()}`); d.dismiss(); });
	// MF_PAGE_LOG (tests/run): a line for every page loaded, reloads too,
	// the cost of the browser checks that the machine's load does not move.
	if (process.env.MF_PAGE_LOG) {
		page.on('load', () => { if (page.url() !== 'about:blank') fs.appendFileSync(process.env.MF_PAGE_LOG, page.url() + '\n'); });
	}
	const close = async () => {
		await context.close();
		await release();
	};
	return { page, context, problems, requests, close, loaded: false };
}

// Load FILE#HASH in the context's page, as in a context of its own: what
// the page before it stored is cleared, and a blank page comes between (so
// that a page of the same file is loaded again, not only its fragment
// changed); then wait for its first render.  The problems and requests
// are those of this load alone.
export async function loadReport(r, file, hash = '') {
	if (r.loaded) await leaveReport(r);
	r.problems.length = 0;
	r.requests.length = 0;
	r.loaded = true;
	await r.page.goto(pathToFileURL(path.resolve(file)).href + hash);
	await r.page.waitForFunction(() => window.mf && window.mf.state().firstRenderMs > 0);
}

// Clear what the page stored and leave it for a blank page: whatever it
// still had to say is in r.problems.
async function leaveReport(r) {
	if (r.page.url() === 'about:blank') return;
	await r.page.evaluate(() => { localStorage.clear(); sessionStorage.clear(); }).catch(() => {});
	await r.page.goto('about:blank');
}

// A screenshot of the page, tests/artifacts/NAME.png, for a person to look
// at: always of a check that failed (failed), otherwise only when
// MF_SCREENSHOTS is set (a full-page PNG costs a check about a fifth of
// its time, and nothing reads it).  Without one the page still draws a
// frame, as a screenshot makes it, so that an error thrown in drawing is
// caught all the same.
export async function screenshot(page, name, failed = false) {
	if (!failed && !process.env.MF_SCREENSHOTS) {
		await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
		return;
	}
	const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'artifacts');
	fs.mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: path.join(dir, name + '.png'), fullPage: true });
}

// runCheck(FILE, OPTIONS, out, NAME, SHOT, check): open FILE (openReport
// OPTIONS), run check(r) on it (r.out: where it prints); 0 when it passes
// and the page had no problem, else 1 with what went wrong on out.error.
// SHOT names the screenshot.
export async function runCheck(file, options, out, name, shot, check) {
	return runChecks([{ file, options, checks: [[name, shot, check]] }], out);
}

// runChecks(LOADS, out): each of LOADS, { file, options, checks }, loaded
// in turn, in one context while their OPTIONS' viewport and colour scheme
// stay the same (loadReport); on each load its checks, [NAME, SHOT,
// check], one after the other on the same page, as runCheck runs one.  A
// check that fails stops those after it on that page, which are named.
// 0 when every check passes and no page had a problem, else 1.
export async function runChecks(loads, out) {
	let r = null, key = null, failed = false;
	for (const { file, options = {}, checks } of loads) {
		const { width = 1280, height = 800, colorScheme = 'light', hash = '' } = options;
		if (key !== `${width} ${height} ${colorScheme}`) {
			if (r) await r.close();
			r = await openContext({ width, height, colorScheme });
			key = `${width} ${height} ${colorScheme}`;
		}
		await loadReport(r, file, hash);
		r.out = out;
		for (let i = 0; i < checks.length; i++) {
			const [name, shot, check] = checks[i];
			try {
				await check(r);
				await screenshot(r.page, shot);
			} catch (e) {
				failed = true;
				out.error(`check ${name} failed on ${path.basename(file)}${hash}: ${e.message}`);
				if (i + 1 < checks.length) out.error(`not run after it: ${checks.slice(i + 1).map((c) => c[0]).join(' ')}`);
				await screenshot(r.page, shot + '-failed', true).catch(() => {});
				break;
			}
		}
		await leaveReport(r);
		if (r.problems.length) {
			failed = true;
			out.error(`${path.basename(file)}${hash}: ${r.problems.join('\n')}`);
		}
	}
	if (r) await r.close();
	return failed ? 1 : 0;
}

// cli(import.meta.url, main): run a check script's main(ARGS, out, cwd) when
// the script is the program node runs, and exit with its status.  With
// MF_CHECK_SOCK set (tests/run starts the check server, server.mjs), the
// server runs it instead: no import of playwright-core, no connection to
// the browser, in this process.  out.log and out.error are the standard
// output and error; the server gives back both, and the status.  A check
// that gets no answer from its page fails after 5 minutes (a page that
// blocks its thread, a backtracking regular expression, would block the
// check for ever).
export async function cli(url, main) {
	if (path.resolve(process.argv[1]) !== fileURLToPath(url)) return;
	const args = process.argv.slice(2);
	const script = path.basename(fileURLToPath(url));
	if (process.env.MF_CHECK_SOCK) process.exit(await ask(process.env.MF_CHECK_SOCK, { script, args, cwd: process.cwd() }));
	setTimeout(() => { console.error(timedOut(script, args)); process.exit(1); }, CHECK_MS).unref();
	process.exit(await main(args, console, process.cwd()));
}

export const CHECK_MS = 300000;
export const timedOut = (script, args) => `check ${args[0]}: the page did not answer within ${CHECK_MS / 60000} minutes (${script})`;

// Send one request to the check server; print what it answers; its status.
function ask(socket, request) {
	return new Promise((resolve) => {
		let answer = '';
		const c = net.createConnection(socket, () => c.end(JSON.stringify(request) + '\n'));
		c.setEncoding('utf8');
		c.on('data', (d) => { answer += d; });
		c.on('error', (e) => { console.error(`check server ${socket}: ${e.message}`); resolve(1); });
		c.on('end', () => {
			let a;
			try { a = JSON.parse(answer); } catch { console.error(`check server ${socket}: no answer`); return resolve(1); }
			process.stdout.write(a.stdout);
			process.stderr.write(a.stderr);
			resolve(a.status);
		});
	});
}
