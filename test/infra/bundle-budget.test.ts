import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actions } from "../../functions/actions/registry.js";
import {
  bundleFunctions,
  deployedFunctions,
  type FunctionBundle,
  KB,
  overBudget,
} from "../../infra/aws/bundle-budgets.js";
import { LAMBDA_UNUSED_MODULES } from "../../infra/aws/bundling.js";
import { fromRoot } from "../../infra/aws/paths.js";
import { slackSignatureHeaders } from "../../infra/local/signing.js";
import { bundleImportEnv } from "../bench/bundle-import-env.js";

/**
 * Every deployed function bundled with the options QuellFunction deploys with (infra/aws/bundling.ts): a
 * function that no longer bundles, or that grows past its budget, fails here, named, with its figure.
 */
// Under node_modules, so that what a bundle leaves out (the AWS SDK, in the budget's build) resolves as it would.
const cache = fromRoot("node_modules/.cache");
mkdirSync(cache, { recursive: true });
const outdir = mkdtempSync(join(cache, "quell-bundle-budget-"));
const bundles = new Map<string, FunctionBundle>();

let failure: string | undefined;

beforeAll(async () => {
  try {
    for (const bundle of await bundleFunctions(deployedFunctions(), outdir)) bundles.set(bundle.name, bundle);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
}, 120_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const bundleOf = (name: string): FunctionBundle => {
  const bundle = bundles.get(name);
  if (!bundle) throw new Error(`${name} did not bundle: ${failure}`);
  return bundle;
};
const kb = (bytes: number) => `${(bytes / KB).toFixed(1)} KB`;

describe("function bundles", () => {
  it("bundle, every deployed function", () => {
    expect(deployedFunctions().length).toBeGreaterThan(Object.keys(actions).length);
    expect(failure).toBeUndefined();
    expect([...bundles.keys()]).toEqual(deployedFunctions().map((spec) => spec.name));
  });

  it.each(deployedFunctions().map((spec) => [spec.name, spec] as const))(
    "%s stays within its budget (counted without the AWS SDK)",
    (name, spec) => {
      const { bytesWithoutSdk } = bundleOf(name);
      const limit = spec.ceilingBytes;
      expect(
        bytesWithoutSdk,
        `${name} weighs ${kb(bytesWithoutSdk)} (${bytesWithoutSdk} bytes) without the AWS SDK: over its ` +
          `${limit === spec.budgetBytes ? "budget" : "ceiling"} of ${kb(limit)}`,
      ).toBeLessThanOrEqual(limit);
    },
  );

  it("lists only functions that are still over budget as over budget", () => {
    for (const name of Object.keys(overBudget)) {
      const { bytesWithoutSdk, budgetBytes } = bundleOf(name);
      expect(bytesWithoutSdk, `${name} is within its budget now: remove it from overBudget`).toBeGreaterThan(
        budgetBytes,
      );
    }
  });

  it("leave out nothing but the AWS SDK (in the budget's build) and Node built-ins, each installed", () => {
    const require = createRequire(join(fromRoot("."), "package.json"));
    for (const bundle of bundles.values()) {
      for (const { path } of bundle.externalImports) {
        if (builtinModules.includes(path.replace(/^node:/, ""))) continue;
        expect(path, `${bundle.name} imports ${path}`).toMatch(/^@aws-sdk\//);
        expect(() => require.resolve(path), `${bundle.name}: ${path} is not installed`).not.toThrow();
      }
    }
  });

  it("give each action only the AWS SDK clients its own folder imports, and load STS only when it is used", () => {
    const clientsIn = (bundle: FunctionBundle, folder: string | undefined) => {
      const clients = new Set<string>();
      for (const file of Object.keys(bundle.inputsWithoutSdk)) {
        if (folder !== undefined && !file.startsWith(`functions/actions/${folder}/`)) continue;
        for (const imported of bundle.importsByInputWithoutSdk[file]?.imports ?? []) {
          if (
            imported.external &&
            imported.kind === "import-statement" &&
            /^@aws-sdk\/client-/.test(imported.path)
          )
            clients.add(imported.path);
        }
      }
      return clients;
    };
    const own = new Map(
      Object.entries(actions).map(([name, { folder }]) => [name, clientsIn(bundleOf(name), folder)]),
    );
    const someActionsOwn = new Set([...own.values()].flatMap((clients) => [...clients]));
    expect(someActionsOwn).toEqual(
      new Set([
        "@aws-sdk/client-bedrock",
        "@aws-sdk/client-bedrock-agent",
        "@aws-sdk/client-iam",
        "@aws-sdk/client-s3",
        "@aws-sdk/client-sagemaker",
        "@aws-sdk/client-ssm",
      ]),
    );
    for (const name of Object.keys(actions)) {
      const loaded = clientsIn(bundleOf(name), undefined);
      // Every action's handler carries the shared secret reader (functions/shared/secrets.ts: SSM Parameter Store).
      const readsSecrets = (client: string) => client === "@aws-sdk/client-ssm";
      const others = [...someActionsOwn].filter(
        (client) => loaded.has(client) && !own.get(name)?.has(client) && !readsSecrets(client),
      );
      expect(others, `${name} loads another action's AWS client`).toEqual([]);
      expect(loaded.has("@aws-sdk/client-sts"), `${name} loads STS at cold start`).toBe(false);
    }
  });
});

describe("the triage bundle", () => {
  it("carries the playbooks' facts but not their definitions, nor any action", () => {
    const inputs = Object.keys(bundleOf("triage").inputsWithoutSdk);
    expect(inputs.filter((file) => file.startsWith("playbooks/"))).toEqual([
      "playbooks/playbook-facts.generated.ts",
    ]);
    expect(inputs.filter((file) => file.startsWith("functions/actions/"))).toEqual([]);
  });

  it("carries the AWS sources' adapters but none of the webhook sources' (ingest normalises those)", () => {
    const triage = bundleOf("triage");
    // The build holds ingest too, so the metafile knows what the registry of webhook sources imports.
    const webhookAdapters = (triage.importsByInputWithoutSdk["functions/sources/index.ts"]?.imports ?? [])
      .map((imported) => imported.path)
      .filter(
        (file) => !["functions/sources/event-sources.ts", "functions/sources/source.ts"].includes(file),
      );
    expect(webhookAdapters).toContain("functions/sources/generic.ts");
    const inputs = Object.keys(triage.inputsWithoutSdk);
    expect(inputs).toContain("functions/sources/aws/guardduty.ts");
    expect(inputs.filter((file) => webhookAdapters.includes(file))).toEqual([]);
  });
});

describe("the Slack handler bundle", () => {
  const run = promisify(execFile);
  const signingSecret = bundleImportEnv.SLACK_SIGNING_SECRET as string;

  /** One request through the bundled handler, in a fresh Node as Lambda runs it: its status and body. */
  async function invoke(body: string, headers: Record<string, string>) {
    const event = {
      version: "2.0",
      rawPath: "/slack/events",
      headers,
      requestContext: { http: { method: "POST", path: "/slack/events" } },
      body,
      isBase64Encoded: false,
    };
    const script = join(mkdtempSync(join(outdir, "slack-request-")), "request.mjs");
    writeFileSync(
      script,
      `const { handler } = await import(${JSON.stringify(bundleOf("slack").outfile)});\n` +
        `process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)}, {})));\n` +
        "process.exit(0);\n",
    );
    const { stdout } = await run(process.execPath, [script], { env: bundleImportEnv, timeout: 30_000 });
    return JSON.parse(stdout) as { statusCode: number; body: string };
  }
  const signed = (body: string, contentType: string) =>
    invoke(body, { ...slackSignatureHeaders(body, signingSecret), "content-type": contentType });

  it("answers signed requests through Bolt's AwsLambdaReceiver, with Express, Socket Mode and OAuth left out", async () => {
    const challenge = await signed(
      JSON.stringify({ token: "t", challenge: "quell-bundle-check", type: "url_verification" }),
      "application/json",
    );
    expect(challenge.statusCode).toBe(200);
    expect(challenge.body).toContain("quell-bundle-check");
    expect((await signed("ssl_check=1&token=t", "application/x-www-form-urlencoded")).statusCode).toBe(200);
    const inputs = Object.keys(bundleOf("slack").inputsWithoutSdk);
    for (const name of LAMBDA_UNUSED_MODULES) {
      expect(inputs.filter((file) => file.startsWith(`node_modules/${name}/`))).toEqual([]);
    }
  });

  it("refuses an unsigned request before Bolt", async () => {
    expect((await invoke("{}", { "content-type": "application/json" })).statusCode).toBe(401);
  });
});

describe("the stub that stands in for modules Lambda never runs", () => {
  const stub = createRequire(import.meta.url)("../../functions/shared/unavailable-module.cjs");

  it("loads and can be read like any module, and throws, naming what was called, when used", () => {
    expect(stub.__esModule).toBeUndefined();
    expect(typeof stub.Router).toBe("function");
    expect(() => stub()).toThrow(/module is not bundled for Lambda/);
    expect(() => new stub.SocketModeClient({})).toThrow(/module\.SocketModeClient is not bundled for Lambda/);
    expect(() => stub.default()).toThrow(/LAMBDA_UNUSED_MODULES in infra\/aws\/bundling\.ts/);
  });
});
