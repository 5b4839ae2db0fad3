import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { allowedHostNames, checkHost, checkReadToken } from "../../infra/local/request-guard.js";

const request = (headers: Record<string, string>) =>
  ({ method: "GET", headers }) as unknown as IncomingMessage;
const LOOPBACK = allowedHostNames({});

describe("the local server's guards: loopback Host names and the read token", () => {
  it.each(["127.0.0.1", "127.0.0.1:8787", "localhost", "LOCALHOST:1", "[::1]", "[::1]:8787"])(
    "serves Host %s",
    (host) => expect(checkHost(request({ host }), LOOPBACK).ok).toBe(true),
  );

  it.each([
    "evil.example",
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "127.0.0.2",
    "0.0.0.0",
    "[::ffff:7f00:1]",
    "localhost:8787:1",
    "localhost:",
    "",
  ])("refuses Host %j", (host) => {
    const verdict = checkHost(request({ host }), LOOPBACK);
    expect(verdict).toMatchObject({ ok: false, status: 421, code: "misdirected_request" });
  });

  it("serves the names QUELL_ALLOWED_HOSTS adds, and only those", () => {
    const names = allowedHostNames({ QUELL_ALLOWED_HOSTS: "quell.example.ngrok.app, Other.Example" });
    expect(checkHost(request({ host: "quell.example.ngrok.app" }), names).ok).toBe(true);
    expect(checkHost(request({ host: "other.example:443" }), names).ok).toBe(true);
    expect(checkHost(request({ host: "ngrok.app" }), names).ok).toBe(false);
  });

  it.each([
    ["no Authorization", {}, false],
    ["another token", { authorization: "Bearer not-it" }, false],
    ["the token without Bearer", { authorization: "read-token" }, false],
    ["a prefix of the token", { authorization: "Bearer read-tok" }, false],
    ["the read token", { authorization: "Bearer read-token" }, true],
  ])("with %s: %s", (_name, headers, ok) => {
    expect(checkReadToken(request(headers as Record<string, string>), "read-token").ok).toBe(ok);
  });
});
