// `npm test` must work on a fresh clone: install from the lockfile when node_modules is missing or stale.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const lock = "package-lock.json";
const marker = "node_modules/.package-lock.json";
const stale =
  !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
if (stale) {
  console.log("[quell] installing dependencies (npm ci) ...");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit" });
}
