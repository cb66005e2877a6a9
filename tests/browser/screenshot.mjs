// screenshot.mjs REPORT.html NAME [light|dark] [#FRAGMENT] - save
// tests/artifacts/NAME.png of a report as chromium draws it, to look at.
import { openReport, screenshot } from './lib.mjs';

const [file, name, scheme = 'light', hash = ''] = process.argv.slice(2);
if (!file || !name) {
	console.error('usage: node screenshot.mjs REPORT.html NAME [light|dark] [#FRAGMENT]');
	process.exit(2);
}
const r = await openReport(file, { colorScheme: scheme, hash });
await screenshot(r.page, name, true);
await r.close();
if (r.problems.length) {
	console.error(r.problems.join('\n'));
	process.exit(1);
}
