// lib.mjs - open an mf-html page in the system chromium, headless, with no
// network: every request that is not a file: URL is recorded and aborted,
// and console errors and page errors are collected for the checks.
//
// When MF_BROWSER_WS names a running browser server (tests/run starts one,
// tests/browser/server.mjs, for the whole suite), the page opens in a new
// context of it: as separate from every other check as a browser of its
// own, without the seconds a start of chromium costs.  Otherwise (a check
// run by hand, the benchmarks) it starts its own chromium.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const LAUNCH = { executablePath: '/usr/bin/chromium', headless: true, args: ARGS.filter((a) => a !== '--headless') };

// A fresh browser context, and what to do once it is closed.
async function newContext(options) {
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
	const url = pathToFileURL(path.resolve(file)).href + hash;
	// For timing: a first page (warm: its path) starts the browser's
	// machinery, so the report's own load is what gets measured.
	if (warm) await page.goto(pathToFileURL(path.resolve(warm)).href);
	await page.goto(url);
	await page.waitForFunction(() => window.mf && window.mf.state().firstRenderMs > 0);
	const close = async () => {
		await context.close();
		await release();
	};
	return { page, context, problems, requests, close };
}

export async function screenshot(page, name) {
	const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'artifacts');
	fs.mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: path.join(dir, name + '.png'), fullPage: true });
}
