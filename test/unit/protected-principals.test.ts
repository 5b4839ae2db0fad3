import type { IAMClient } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import { deactivateAwsAccessKey } from "../../functions/actions/aws-deactivate-access-key/action.js";
import { revokeRoleSessions } from "../../functions/actions/aws-revoke-role-sessions/action.js";
import { runAction } from "../../functions/actions/run.js";
import { ProtectedPrincipal } from "../../functions/shared/errors.js";
import {
  PROTECTED_PRINCIPALS_ENV,
  protectedPrincipalsFrom,
  protectionOf,
} from "../../functions/shared/protected-principals.js";
import { contextWith, recordingClient } from "./action-context-doubles.js";

describe("protected principals", () => {
  const entries = protectedPrincipalsFrom({
    [PROTECTED_PRINCIPALS_ENV]:
      " arn:aws:iam::111122223333:role/deploy/release-pipeline , break-glass-* ,AKIAEXAMPLEPROTECT01,",
  });

  it("reads comma-separated entries, trimmed, and none when unset", () => {
    expect(entries).toEqual([
      "arn:aws:iam::111122223333:role/deploy/release-pipeline",
      "break-glass-*",
      "AKIAEXAMPLEPROTECT01",
    ]);
    expect(protectedPrincipalsFrom({})).toEqual([]);
  });

  it("matches an ARN and the name it ends in, patterns, and exact key ids; nothing else", () => {
    expect(protectionOf(entries, ["release-pipeline"])).toEqual({
      principal: "release-pipeline",
      entry: "arn:aws:iam::111122223333:role/deploy/release-pipeline",
    });
    expect(
      protectionOf(entries, [null, "arn:aws:iam::111122223333:role/deploy/release-pipeline"]),
    ).not.toBeNull();
    expect(protectionOf(entries, ["break-glass-admin"])?.entry).toBe("break-glass-*");
    expect(protectionOf(entries, ["AKIAEXAMPLEPROTECT01"])?.entry).toBe("AKIAEXAMPLEPROTECT01");
    expect(
      protectionOf(entries, ["release-pipeline-2", "admin-break-glass", "AKIAEXAMPLEPROTECT0"]),
    ).toBeNull();
    // A dot in an entry is a dot, not "any character".
    expect(protectionOf(["svc.bot"], ["svcXbot"])).toBeNull();
  });

  it("the action refuses on its own, whoever approved it: nothing is sent, not even in dry run", async () => {
    const { client, sent } = recordingClient(() => ({
      AccessKeyMetadata: [
        { UserName: "break-glass-admin", AccessKeyId: "AKIAEXAMPLEBREAKGLS1", Status: "Active" },
      ],
    }));
    const context = {
      ...contextWith({ iam: client as unknown as IAMClient }),
      env: { [PROTECTED_PRINCIPALS_ENV]: "break-glass-*" },
    };
    for (const dryRun of [false, true]) {
      const run = runAction(
        deactivateAwsAccessKey,
        { userName: "break-glass-admin", accessKeyId: "AKIAEXAMPLEBREAKGLS1" },
        { dryRun, context },
      );
      await expect(run).rejects.toBeInstanceOf(ProtectedPrincipal);
      await expect(run).rejects.toThrow(
        `break-glass-admin is a protected principal (break-glass-* in ${PROTECTED_PRINCIPALS_ENV})`,
      );
    }
    expect(sent.map((call) => call.command)).not.toContain("UpdateAccessKeyCommand");
  });

  it("protects a role by name when the action knows it by ARN", async () => {
    const { client, sent } = recordingClient((command: { constructor: { name: string } }) => {
      if (command.constructor.name !== "GetRolePolicyCommand") return {};
      throw Object.assign(new Error("The role policy cannot be found."), { name: "NoSuchEntityException" });
    });
    const context = {
      ...contextWith({ iam: client as unknown as IAMClient }),
      env: { [PROTECTED_PRINCIPALS_ENV]: "release-pipeline" },
    };
    const run = runAction(
      revokeRoleSessions,
      {
        roleArn: "arn:aws:iam::111122223333:role/deploy/release-pipeline",
        incidentId: "inc_0123456789abcdef",
      },
      { dryRun: false, context },
    );
    await expect(run).rejects.toBeInstanceOf(ProtectedPrincipal);
    expect(sent.map((call) => call.command)).not.toContain("PutRolePolicyCommand");
  });
});
