// A runtime process for the restart tests: `npm start`'s runtime on `.quell/` of its working directory, with the
// approval timeout shortened (QUELL_TEST_APPROVAL_TIMEOUT_SECONDS), which main.ts does not offer.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { startLocalRuntime } = await import("../../infra/local/runtime.js");

const env = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
);
const timeout = Number(process.env.QUELL_TEST_APPROVAL_TIMEOUT_SECONDS);
const runtime = await startLocalRuntime({
  port: Number(process.env.QUELL_PORT ?? 0),
  dataDir: ".quell",
  env,
  ...(timeout > 0 ? { approvalTimeoutSeconds: timeout } : {}),
});
console.log(`Quell is running at ${runtime.url}`);
process.once("SIGTERM", () => {
  void runtime.stop().then(() => process.exit(0));
});

export {};
