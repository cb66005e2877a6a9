// server.mjs FILE - start one headless chromium as a browser server for the
// checks of a whole test run, write its WebSocket address to FILE, and keep
// it until this process gets SIGTERM or SIGINT (tests/run stops it), or its
// standard input ends (so that a test run killed outright does not leave
// chromium behind).  lib.mjs connects to it through MF_BROWSER_WS.
import fs from 'node:fs';
import { chromium } from 'playwright-core';
import { LAUNCH } from './lib.mjs';

const server = await chromium.launchServer(LAUNCH);
fs.writeFileSync(process.argv[2], server.wsEndpoint() + '\n');
const stop = async () => { await server.close(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
