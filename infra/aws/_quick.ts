import { App } from "aws-cdk-lib";
import { addQuell } from "./quell.js";
const t0 = Date.now();
const app = new App({ context: { "@aws-cdk/core:validateAgainstDefaultRules": true, "aws:cdk:bundling-stacks": [] }, outdir: "/tmp/quick-out" });
addQuell(app, { environmentName: "test", dryRun: true, approvers: ["U123"], dedupWindowSeconds: 60, slackChannel: "C1" });
try { app.synth(); } catch (e) { console.log(String((e as Error).message).slice(0, 20000)); }
console.log("ms", Date.now() - t0);
