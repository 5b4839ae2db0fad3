// One cold import of a bundle, in plain Node as Lambda loads it: prints how long `import()` took and whether the
// module loaded. Run once per sample by bundles.ts, in a fresh process each time.
import { pathToFileURL } from "node:url";

const start = performance.now();
let error;
try {
  await import(pathToFileURL(process.argv[2]).href);
} catch (thrown) {
  error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
}
process.stdout.write(`${JSON.stringify({ importMs: performance.now() - start, error })}\n`);
process.exit(0);
