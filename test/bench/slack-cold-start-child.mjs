// One cold start of the bundled Slack handler, in plain Node as Lambda runs it (no TypeScript loader):
// import the bundle, hand it one signed click, print the timings. Run by slack-cold-start.ts.
import { readFileSync } from "node:fs";

const [bundle, eventFile] = process.argv.slice(2);
const importStart = performance.now();
const { handler } = await import(bundle);
const imported = performance.now();
const result = await handler(JSON.parse(readFileSync(eventFile, "utf8")), {});
const answered = performance.now();
process.stdout.write(
  `${JSON.stringify({ status: result.statusCode, sinceProcessStart: answered, importMs: imported - importStart, handleMs: answered - imported })}\n`,
);
process.exit(0);
