import { describe, expect, it } from "vitest";
import {
  refusingEverythingLine,
  routeSecrets,
  routesRefusingEverything,
} from "../../functions/ingest/readiness.js";
import { sourceNames } from "../../functions/sources/index.js";

describe("routes refusing everything (said at start-up)", () => {
  it("lists every webhook source and /events with the secret each authenticates with", () => {
    expect(routeSecrets.map(({ route }) => route)).toEqual([
      ...sourceNames.map((name) => `POST /alerts/${name}`),
      "POST /events",
    ]);
    expect(routeSecrets).toContainEqual({
      route: "POST /alerts/alertmanager",
      secretName: "QUELL_SOURCE_TOKEN_ALERTMANAGER",
    });
    expect(routeSecrets).toContainEqual({ route: "POST /alerts/lakera", secretName: "QUELL_WEBHOOK_SECRET" });
    expect(routeSecrets).toContainEqual({ route: "POST /events", secretName: "QUELL_EVENTS_TOKEN" });
  });

  it("counts a secret as configured by its value (locally) or by its parameter name (on AWS)", () => {
    const env = {
      QUELL_WEBHOOK_SECRET: "s",
      QUELL_GITHUB_WEBHOOK_SECRET_PARAMETER: "/quell/dev/QUELL_GITHUB_WEBHOOK_SECRET",
      QUELL_EVENTS_TOKEN: "t",
      QUELL_SOURCE_TOKEN_GRAFANA: "g",
      QUELL_SOURCE_TOKEN_DATADOG: "",
    };
    expect(routesRefusingEverything(env).map(({ route }) => route)).toEqual([
      "POST /alerts/alertmanager",
      "POST /alerts/datadog",
      "POST /alerts/pagerduty",
    ]);
  });

  it("names nothing when every secret is set, and every route when none is", () => {
    const all = Object.fromEntries(routeSecrets.map(({ secretName }) => [secretName, "x"]));
    expect(routesRefusingEverything(all)).toEqual([]);
    expect(refusingEverythingLine([])).toBeUndefined();
    expect(routesRefusingEverything({})).toEqual(routeSecrets);
  });

  it("says which routes refuse and which variable would open each", () => {
    const line = refusingEverythingLine(routesRefusingEverything({ QUELL_WEBHOOK_SECRET: "s" }));
    expect(line).toContain("fail closed");
    expect(line).toContain("POST /alerts/pagerduty (set QUELL_SOURCE_TOKEN_PAGERDUTY)");
    expect(line).toContain("POST /alerts/github (set QUELL_GITHUB_WEBHOOK_SECRET)");
    expect(line).not.toContain("/alerts/generic");
  });
});
