import { join } from "node:path";
import { Runtime } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { BuildOptions } from "esbuild";
import { fromRoot, repoRoot } from "./paths.js";

/**
 * The Lambda runtime of every function, the latest Node.js Lambda offers (cdk-nag AwsSolutions-L1 checks it
 * is), and the esbuild target that matches it. Function code keeps to Node 20 APIs: local development, the
 * tests and the bundle benchmark run the same code on the machine's Node 20.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
const LAMBDA_NODE_MAJOR = 24;

/**
 * Modules the functions' dependencies require but Lambda never runs, replaced by a stub that throws when
 * used (functions/shared/unavailable-module.cjs). Bolt's index and App require its Express, Socket Mode and
 * OAuth receivers at load; the Slack handler serves requests through AwsLambdaReceiver only. X-Ray's AWS SDK v2
 * patcher (aws-xray-sdk-core's aws_p, loaded with Powertools Tracer in ingest) requires semver (29 KB) for
 * `captureAWS` alone, which Quell never calls: its clients are SDK v3 (`captureAWSv3Client`).
 */
export const LAMBDA_UNUSED_MODULES = [
  "express",
  "@slack/socket-mode",
  "@slack/oauth",
  "raw-body",
  "semver",
] as const;

const UNAVAILABLE_MODULE = "./functions/shared/unavailable-module.cjs";

/** The AWS SDK, as esbuild names it for `external`: what Lambda's Node runtime also provides. */
export const AWS_SDK_MODULES = ["@aws-sdk/*"] as const;

/**
 * Whether the AWS SDK goes into each bundle (true) or is left to the one in the Lambda runtime. Bundled:
 * the same code imports 2.5 to 3 times faster with the SDK in its bundle than loading the SDK's own files
 * (measured 2026-12-06 on 2 busy cores, median of 7 cold imports: an action 262 ms against 852 ms, the
 * recorder 259 against 636, the Slack handler 399 against 873), and it runs the SDK versions the tests ran.
 * Left out, only the budgets' figures would shrink: a DynamoDB client alone bundles to 331 KB. The size budgets (bundle-budgets.ts) are
 * counted without the SDK: it is the same in every function, and Quell's code is what they keep in check.
 */
export const BUNDLE_AWS_SDK = true;

/**
 * How every Quell function is bundled, in one place: NodejsFunction (QuellFunction) and the bundle
 * benchmark and budget test all read these, so what is measured is what is deployed.
 * - ESM for the Lambda runtime's Node.js with a `require` shim (CommonJS dependencies such as Bolt call it);
 * - minified, with linked source maps (`NODE_OPTIONS=--enable-source-maps` on every function);
 * - the AWS SDK bundled (BUNDLE_AWS_SDK): the versions the tests ran, and the faster cold start;
 * - the modules of LAMBDA_UNUSED_MODULES replaced by a stub.
 */
export const quellBundling = {
  format: "esm",
  target: `node${LAMBDA_NODE_MAJOR}`,
  platform: "node",
  mainFields: ["module", "main"],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  minify: true,
  sourcemap: true,
  external: BUNDLE_AWS_SDK ? [] : [...AWS_SDK_MODULES],
  alias: Object.fromEntries(LAMBDA_UNUSED_MODULES.map((name) => [name, UNAVAILABLE_MODULE])),
} as const;

/** The bundling options of NodejsFunction (local esbuild, never Docker). */
export function nodejsFunctionBundling(): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: quellBundling.target,
    mainFields: [...quellBundling.mainFields],
    banner: quellBundling.banner,
    minify: quellBundling.minify,
    sourceMap: quellBundling.sourcemap,
    bundleAwsSDK: BUNDLE_AWS_SDK,
    externalModules: [...quellBundling.external],
    // Alias targets are resolved in the working directory, which NodejsFunction sets to the project root.
    esbuildArgs: { "--alias": Object.entries(quellBundling.alias).map(([from, to]) => `${from}=${to}`) },
    forceDockerBundling: false,
  };
}

/**
 * The options of every bundle through esbuild's JS API, as NodejsFunction builds it (entry and output aside).
 * With `awsSdk: "external"`, the same bundle without the AWS SDK (what the size budgets count).
 */
export function esbuildBaseOptions({ awsSdk }: { awsSdk?: "external" } = {}): BuildOptions {
  return {
    absWorkingDir: repoRoot,
    bundle: true,
    platform: quellBundling.platform,
    format: quellBundling.format,
    target: quellBundling.target,
    mainFields: [...quellBundling.mainFields],
    banner: { js: quellBundling.banner },
    minify: quellBundling.minify,
    sourcemap: quellBundling.sourcemap,
    external: awsSdk === "external" ? [...AWS_SDK_MODULES] : [...quellBundling.external],
    alias: { ...quellBundling.alias },
    logLevel: "silent",
  };
}

/** One function's bundle through esbuild's JS API: `entry` relative to the root, into `<outdir>/index.mjs`. */
export function esbuildOptions(
  entry: string,
  outdir: string,
  variant: { awsSdk?: "external" } = {},
): BuildOptions & { outfile: string } {
  return {
    ...esbuildBaseOptions(variant),
    entryPoints: [fromRoot(entry)],
    outfile: join(outdir, "index.mjs"),
  };
}
