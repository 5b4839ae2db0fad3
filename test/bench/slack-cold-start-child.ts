// One cold start of the bundled Slack handler: import it, hand it one signed click, print the timings.
// Run by slack-cold-start.ts with the bundle path, the event file and the environment already set.
import { readFileSync } from "node:fs";

const [bundle, eventFile] = process.argv.slice(2) as [string, string];
const importStart = performance.now();
const { handler } = (await import(bundle)) as {
  handler: (event: unknown, context: unknown) => Promise<{ statusCode: number }>;
};
const imported = performance.now();
const result = await handler(JSON.parse(readFileSync(eventFile, "utf8")), {});
const answered = performance.now();
process.stdout.write(
  `${JSON.stringify({ status: result.statusCode, sinceProcessStart: answered, importMs: imported - importStart, handleMs: answered - imported })}\n`,
);
process.exit(0);
