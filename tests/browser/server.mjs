// server.mjs FILE [SOCKET] - start one headless chromium as a browser server
// for the checks of a whole test run, write its WebSocket address to FILE,
// and keep it until this process gets SIGTERM or SIGINT (tests/run stops
// it), or its standard input ends (so that a test run killed outright does
// not leave chromium behind).  lib.mjs connects to it through MF_BROWSER_WS.
//
// With SOCKET, it is also the check server: it listens on that Unix socket
// for the checks of check.mjs, temporal.mjs and diff.mjs (lib.mjs cli, with
// MF_CHECK_SOCK), runs each in a new context of its browser, as many at a
// time as are asked, and answers each with the check's standard output,
// standard error and exit status.  A check costs its page alone, not a
// node process importing playwright-core and connecting to the browser.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import util from 'node:util';
import { chromium } from 'playwright-core';
import { CHECK_MS, LAUNCH, timedOut, useBrowser } from './lib.mjs';

const [wsFile, socket] = process.argv.slice(2);
const server = await chromium.launchServer(LAUNCH);
const stop = async () => { await server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
if (socket) {
	useBrowser(await chromium.connect(server.wsEndpoint()));
	await new Promise((resolve) => net.createServer({ allowHalfOpen: true }, serve).listen(socket, resolve));
}
fs.writeFileSync(wsFile, server.wsEndpoint() + '\n');

const SCRIPTS = ['check.mjs', 'temporal.mjs', 'diff.mjs'];

// One connection: one request { script, args, cwd } as a line of JSON, one
// answer { stdout, stderr, status }.
function serve(c) {
	let request = '';
	c.setEncoding('utf8');
	c.on('data', (d) => { request += d; });
	c.on('end', async () => {
		const answer = await run(request).catch((e) => ({ stdout: '', stderr: `check server: ${e.stack}\n`, status: 1 }));
		c.end(JSON.stringify(answer));
	});
	c.on('error', () => {});
}

async function run(request) {
	const { script, args, cwd } = JSON.parse(request);
	if (!SCRIPTS.includes(script)) throw new Error(`no such check script ${script}`);
	const { main } = await import(path.join(import.meta.dirname, script));
	let stdout = '', stderr = '';
	const line = (a) => util.format(...a) + '\n';
	const out = { log: (...a) => { stdout += line(a); }, error: (...a) => { stderr += line(a); } };
	let timer;
	const late = new Promise((resolve) => { timer = setTimeout(() => resolve('late'), CHECK_MS); });
	const status = await Promise.race([main(args, out, cwd), late]);
	clearTimeout(timer);
	if (status === 'late') return { stdout, stderr: stderr + timedOut(script, args) + '\n', status: 1 };
	return { stdout, stderr, status };
}
