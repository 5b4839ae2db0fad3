// Entry point of `npm start` and `npm run demo`. Local tooling runs on the machine's Node 20 while Lambda
// runs Node 22 (README), so the SDK's Node-version notice is silenced before anything imports the SDK.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
await import("./start.js");

export {};
