import {
  DeleteRolePolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListRolePoliciesCommand,
  ListServiceSpecificCredentialsCommand,
  type ListServiceSpecificCredentialsCommandOutput,
  PutRolePolicyCommand,
  UpdateAccessKeyCommand,
  UpdateServiceSpecificCredentialCommand,
} from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type IamStandin, type ServiceCredentialSeed, startIamStandin } from "../infra/local/standins/iam.js";

const ACCOUNT = "111122223333";
const BEDROCK = "bedrock.amazonaws.com";
const USED = new Date("2026-03-01T12:34:56.000Z");
const CREATED = new Date("2026-01-15T08:00:00.000Z");
const EXPIRES = new Date("2099-01-01T00:00:00.000Z");

/** Five Bedrock API keys over three users, plus one CodeCommit credential the ServiceName filter leaves out. */
const credentialSeeds: ServiceCredentialSeed[] = [
  { userName: "BedrockAPIKey-ab12", serviceName: BEDROCK, id: "ACCAEXAMPLEBEDROCK0001", createDate: CREATED },
  {
    userName: "BedrockAPIKey-ab12",
    serviceName: BEDROCK,
    id: "ACCAEXAMPLEBEDROCK0002",
    status: "Inactive",
    createDate: CREATED,
    expirationDate: EXPIRES,
  },
  { userName: "BedrockAPIKey-cd34", serviceName: BEDROCK, id: "ACCAEXAMPLEBEDROCK0003", createDate: CREATED },
  {
    userName: "BedrockAPIKey-cd34",
    serviceName: BEDROCK,
    id: "ACCAEXAMPLEBEDROCK0004",
    status: "Expired",
    createDate: CREATED,
    expirationDate: new Date("2026-02-01T00:00:00.000Z"),
  },
  { userName: "ci-deploy", serviceName: BEDROCK, id: "ACCAEXAMPLEBEDROCK0005", createDate: CREATED },
  {
    userName: "ci-deploy",
    serviceName: "codecommit.amazonaws.com",
    id: "ACCAEXAMPLECODECOMMIT1",
    createDate: CREATED,
  },
];

const readPolicy = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["bedrock:InvokeModel"], Resource: "*" }],
};
const denyAll = {
  Version: "2012-10-17",
  Statement: [{ Sid: "QuellContain", Effect: "Deny", Action: "*", Resource: "*" }],
};

describe("IAM stand-in, through the AWS SDK's IAM client", () => {
  let standin: IamStandin;
  let client: IAMClient;
  beforeEach(async () => {
    standin = await startIamStandin({
      accountId: ACCOUNT,
      users: [
        {
          userName: "ci-deploy",
          keys: [
            {
              accessKeyId: "AKIAEXAMPLEUSED00001",
              lastUsed: { date: USED, serviceName: "bedrock", region: "us-west-2" },
            },
            { accessKeyId: "AKIAEXAMPLENEVER0001", status: "Inactive" },
          ],
        },
      ],
      serviceCredentials: credentialSeeds,
      roles: [
        { roleName: "support-bot", path: "/quell/", policies: { "bedrock-read": readPolicy } },
        { roleName: "empty-role" },
      ],
    });
    client = new IAMClient({
      endpoint: standin.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "x" },
      maxAttempts: 1,
    });
  });
  afterEach(async () => {
    client.destroy();
    await standin.close();
  });

  describe("GetAccessKeyLastUsed", () => {
    it("answers the owner and where and when the key was last used", async () => {
      const used = await client.send(
        new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAEXAMPLEUSED00001" }),
      );
      expect(used.UserName).toBe("ci-deploy");
      expect(used.AccessKeyLastUsed).toEqual({
        LastUsedDate: USED,
        ServiceName: "bedrock",
        Region: "us-west-2",
      });
    });

    it("answers N/A and no date for a key never used", async () => {
      const never = await client.send(
        new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAEXAMPLENEVER0001" }),
      );
      expect(never.UserName).toBe("ci-deploy");
      expect(never.AccessKeyLastUsed).toEqual({ ServiceName: "N/A", Region: "N/A" });
    });

    it("answers 403 AccessDenied for a key the account does not have", async () => {
      await expect(
        client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAEXAMPLEUNKNOWN01" })),
      ).rejects.toMatchObject({
        name: "AccessDenied",
        $metadata: { httpStatusCode: 403 },
        message: expect.stringContaining(
          "iam:GetAccessKeyLastUsed on resource: access key AKIAEXAMPLEUNKNOWN01",
        ),
      });
    });
  });

  describe("ListServiceSpecificCredentials", () => {
    it("pages every Bedrock key of every user over three pages, following IsTruncated and Marker", async () => {
      const pages: ListServiceSpecificCredentialsCommandOutput[] = [];
      let marker: string | undefined;
      do {
        const page = await client.send(
          new ListServiceSpecificCredentialsCommand({
            AllUsers: true,
            ServiceName: BEDROCK,
            MaxItems: 2,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        pages.push(page);
        marker = page.IsTruncated ? page.Marker : undefined;
        if (page.IsTruncated) expect(page.Marker).toEqual(expect.any(String));
        else expect(page.Marker).toBeUndefined();
      } while (marker && pages.length < 10);

      expect(pages.map((page) => page.ServiceSpecificCredentials?.length)).toEqual([2, 2, 1]);
      expect(pages.map((page) => page.IsTruncated)).toEqual([true, true, false]);
      const all = pages.flatMap((page) => page.ServiceSpecificCredentials ?? []);
      expect(all.map((credential) => credential.ServiceSpecificCredentialId)).toEqual([
        "ACCAEXAMPLEBEDROCK0001",
        "ACCAEXAMPLEBEDROCK0002",
        "ACCAEXAMPLEBEDROCK0003",
        "ACCAEXAMPLEBEDROCK0004",
        "ACCAEXAMPLEBEDROCK0005",
      ]);
      expect(all.every((credential) => credential.ServiceName === BEDROCK)).toBe(true);
      expect(all[0]).toEqual({
        UserName: "BedrockAPIKey-ab12",
        Status: "Active",
        ServiceCredentialAlias: `BedrockAPIKey-ab12-at-${ACCOUNT}`,
        CreateDate: CREATED,
        ServiceSpecificCredentialId: "ACCAEXAMPLEBEDROCK0001",
        ServiceName: BEDROCK,
      });
      expect(all[1]).toMatchObject({ Status: "Inactive", ExpirationDate: EXPIRES });
      expect(all[3]?.Status).toBe("Expired");
      expect(all.some((credential) => credential.ServiceUserName !== undefined)).toBe(false);
    });

    it("a client that ignores IsTruncated sees only the first page", async () => {
      const first = await client.send(
        new ListServiceSpecificCredentialsCommand({ AllUsers: true, ServiceName: BEDROCK, MaxItems: 2 }),
      );
      expect(first.ServiceSpecificCredentials).toHaveLength(2);
      expect(first.IsTruncated).toBe(true);
    });

    it("lists one user's credentials of every service, CodeCommit with its generated user name", async () => {
      const listed = await client.send(new ListServiceSpecificCredentialsCommand({ UserName: "ci-deploy" }));
      expect(listed.IsTruncated).toBe(false);
      expect(listed.ServiceSpecificCredentials?.map((credential) => credential.ServiceName)).toEqual([
        BEDROCK,
        "codecommit.amazonaws.com",
      ]);
      expect(listed.ServiceSpecificCredentials?.[1]).toMatchObject({
        ServiceUserName: `ci-deploy-at-${ACCOUNT}`,
      });
      expect(listed.ServiceSpecificCredentials?.[1]?.ServiceCredentialAlias).toBeUndefined();
    });

    it("refuses AllUsers together with UserName", async () => {
      await expect(
        client.send(
          new ListServiceSpecificCredentialsCommand({
            AllUsers: true,
            UserName: "ci-deploy",
            ServiceName: BEDROCK,
          }),
        ),
      ).rejects.toMatchObject({ name: "ValidationError", $metadata: { httpStatusCode: 400 } });
    });

    it("refuses an unknown user, a service without credentials, and a caller that is not a known user", async () => {
      await expect(
        client.send(new ListServiceSpecificCredentialsCommand({ UserName: "nobody" })),
      ).rejects.toMatchObject({ name: "NoSuchEntityException", $metadata: { httpStatusCode: 404 } });
      await expect(
        client.send(
          new ListServiceSpecificCredentialsCommand({ AllUsers: true, ServiceName: "s3.amazonaws.com" }),
        ),
      ).rejects.toMatchObject({ name: "ServiceNotSupportedException", $metadata: { httpStatusCode: 404 } });
      await expect(client.send(new ListServiceSpecificCredentialsCommand({}))).rejects.toMatchObject({
        name: "ValidationError",
        message: expect.stringContaining("non-User credentials"),
      });
    });
  });

  describe("UpdateServiceSpecificCredential", () => {
    it("deactivates then reactivates a Bedrock key and records both updates", async () => {
      const id = "ACCAEXAMPLEBEDROCK0003";
      await client.send(
        new UpdateServiceSpecificCredentialCommand({
          UserName: "BedrockAPIKey-cd34",
          ServiceSpecificCredentialId: id,
          Status: "Inactive",
        }),
      );
      expect(standin.serviceCredentialStatus(id)).toBe("Inactive");
      const listed = await client.send(
        new ListServiceSpecificCredentialsCommand({ UserName: "BedrockAPIKey-cd34", ServiceName: BEDROCK }),
      );
      expect(
        listed.ServiceSpecificCredentials?.find((c) => c.ServiceSpecificCredentialId === id)?.Status,
      ).toBe("Inactive");
      await client.send(
        new UpdateServiceSpecificCredentialCommand({
          UserName: "BedrockAPIKey-cd34",
          ServiceSpecificCredentialId: id,
          Status: "Active",
        }),
      );
      expect(standin.serviceCredentialStatus(id)).toBe("Active");
      expect(standin.serviceCredentialUpdates).toEqual([
        {
          userName: "BedrockAPIKey-cd34",
          serviceSpecificCredentialId: id,
          status: "Inactive",
          at: expect.any(Date),
        },
        {
          userName: "BedrockAPIKey-cd34",
          serviceSpecificCredentialId: id,
          status: "Active",
          at: expect.any(Date),
        },
      ]);
      expect(standin.actions()).toEqual([
        "UpdateServiceSpecificCredential",
        "ListServiceSpecificCredentials",
        "UpdateServiceSpecificCredential",
      ]);
    });

    it("answers 404 NoSuchEntity for an unknown id, or another user's credential, and records nothing", async () => {
      await expect(
        client.send(
          new UpdateServiceSpecificCredentialCommand({
            UserName: "ci-deploy",
            ServiceSpecificCredentialId: "ACCAEXAMPLEUNKNOWN0001",
            Status: "Inactive",
          }),
        ),
      ).rejects.toMatchObject({ name: "NoSuchEntityException", $metadata: { httpStatusCode: 404 } });
      await expect(
        client.send(
          new UpdateServiceSpecificCredentialCommand({
            UserName: "ci-deploy",
            ServiceSpecificCredentialId: "ACCAEXAMPLEBEDROCK0001",
            Status: "Inactive",
          }),
        ),
      ).rejects.toMatchObject({ name: "NoSuchEntityException" });
      expect(standin.serviceCredentialStatus("ACCAEXAMPLEBEDROCK0001")).toBe("Active");
      expect(standin.serviceCredentialStatus("ACCAEXAMPLEUNKNOWN0001")).toBeUndefined();
      expect(standin.serviceCredentialUpdates).toEqual([]);
    });
  });

  describe("role inline policies", () => {
    it("GetRole answers the role with its ARN and URL-encoded trust policy", async () => {
      const { Role: role } = await client.send(new GetRoleCommand({ RoleName: "support-bot" }));
      expect(role).toMatchObject({
        Path: "/quell/",
        RoleName: "support-bot",
        Arn: `arn:aws:iam::${ACCOUNT}:role/quell/support-bot`,
        CreateDate: expect.any(Date),
      });
      expect(role?.RoleId).toMatch(/^AROA[A-Z0-9]{17}$/);
      expect(role?.AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22/);
      expect(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ""))).toMatchObject({
        Statement: [{ Action: "sts:AssumeRole" }],
      });
    });

    it("puts, gets (URL-encoded, decoding to the document put), lists and deletes an inline policy", async () => {
      await client.send(
        new PutRolePolicyCommand({
          RoleName: "support-bot",
          PolicyName: "quell-deny-all",
          PolicyDocument: JSON.stringify(denyAll),
        }),
      );
      expect(standin.rolePolicy("support-bot", "quell-deny-all")).toEqual(denyAll);

      const got = await client.send(
        new GetRolePolicyCommand({ RoleName: "support-bot", PolicyName: "quell-deny-all" }),
      );
      expect(got.RoleName).toBe("support-bot");
      expect(got.PolicyName).toBe("quell-deny-all");
      expect(got.PolicyDocument).not.toContain("{");
      expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? ""))).toEqual(denyAll);

      const listed = await client.send(new ListRolePoliciesCommand({ RoleName: "support-bot" }));
      expect(listed.PolicyNames).toEqual(["bedrock-read", "quell-deny-all"]);
      expect(listed.IsTruncated).toBe(false);
      const first = await client.send(new ListRolePoliciesCommand({ RoleName: "support-bot", MaxItems: 1 }));
      expect(first).toMatchObject({ PolicyNames: ["bedrock-read"], IsTruncated: true });
      const second = await client.send(
        new ListRolePoliciesCommand({ RoleName: "support-bot", MaxItems: 1, Marker: first.Marker }),
      );
      expect(second).toMatchObject({ PolicyNames: ["quell-deny-all"], IsTruncated: false });

      await client.send(
        new DeleteRolePolicyCommand({ RoleName: "support-bot", PolicyName: "quell-deny-all" }),
      );
      expect(standin.rolePolicy("support-bot", "quell-deny-all")).toBeUndefined();
      const after = await client.send(new ListRolePoliciesCommand({ RoleName: "support-bot" }));
      expect(after.PolicyNames).toEqual(["bedrock-read"]);
      await expect(
        client.send(new GetRolePolicyCommand({ RoleName: "support-bot", PolicyName: "quell-deny-all" })),
      ).rejects.toMatchObject({ name: "NoSuchEntityException", $metadata: { httpStatusCode: 404 } });
      await expect(
        client.send(new DeleteRolePolicyCommand({ RoleName: "support-bot", PolicyName: "quell-deny-all" })),
      ).rejects.toMatchObject({ name: "NoSuchEntityException" });

      expect(standin.rolePolicyChanges).toEqual([
        {
          roleName: "support-bot",
          policyName: "quell-deny-all",
          change: "put",
          document: denyAll,
          at: expect.any(Date),
        },
        { roleName: "support-bot", policyName: "quell-deny-all", change: "delete", at: expect.any(Date) },
      ]);
    });

    it("lists no policies for a role without any", async () => {
      const listed = await client.send(new ListRolePoliciesCommand({ RoleName: "empty-role" }));
      expect(listed.PolicyNames).toEqual([]);
      expect(listed.IsTruncated).toBe(false);
    });

    it("refuses a malformed policy with MalformedPolicyDocument and records nothing", async () => {
      for (const PolicyDocument of [
        "{not json",
        JSON.stringify({ Statement: denyAll.Statement }),
        JSON.stringify({ Version: "2012-10-17" }),
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Maybe", Action: "*", Resource: "*" }],
        }),
      ]) {
        await expect(
          client.send(
            new PutRolePolicyCommand({ RoleName: "support-bot", PolicyName: "bad", PolicyDocument }),
          ),
        ).rejects.toMatchObject({
          name: "MalformedPolicyDocumentException",
          $metadata: { httpStatusCode: 400 },
        });
      }
      expect(standin.rolePolicy("support-bot", "bad")).toBeUndefined();
      expect(standin.rolePolicyChanges).toEqual([]);
    });

    it("answers NoSuchEntity for an unknown role on every role operation", async () => {
      const RoleName = "no-such-role";
      const attempts = [
        () => client.send(new GetRoleCommand({ RoleName })),
        () =>
          client.send(
            new PutRolePolicyCommand({ RoleName, PolicyName: "p", PolicyDocument: JSON.stringify(denyAll) }),
          ),
        () => client.send(new GetRolePolicyCommand({ RoleName, PolicyName: "p" })),
        () => client.send(new ListRolePoliciesCommand({ RoleName })),
        () => client.send(new DeleteRolePolicyCommand({ RoleName, PolicyName: "p" })),
      ];
      for (const attempt of attempts) {
        await expect(attempt()).rejects.toMatchObject({
          name: "NoSuchEntityException",
          $metadata: { httpStatusCode: 404 },
          message: "The role with name no-such-role cannot be found.",
        });
      }
      expect(standin.rolePolicyChanges).toEqual([]);
    });
  });

  it("keeps ListAccessKeys and UpdateAccessKey as they were", async () => {
    const keys = await client.send(new ListAccessKeysCommand({ UserName: "ci-deploy" }));
    expect(keys.AccessKeyMetadata?.map((key) => [key.AccessKeyId, key.Status])).toEqual([
      ["AKIAEXAMPLEUSED00001", "Active"],
      ["AKIAEXAMPLENEVER0001", "Inactive"],
    ]);
    await client.send(
      new UpdateAccessKeyCommand({
        UserName: "ci-deploy",
        AccessKeyId: "AKIAEXAMPLEUSED00001",
        Status: "Inactive",
      }),
    );
    expect(standin.keyStatus("ci-deploy", "AKIAEXAMPLEUSED00001")).toBe("Inactive");
    expect(standin.updates).toHaveLength(1);
    expect(standin.actions()).toEqual(["ListAccessKeys", "UpdateAccessKey"]);
  });
});

describe("IAM stand-in defaults", () => {
  it("lists the signing user's own credentials without UserName, in account 000000000000 by default", async () => {
    const standin = await startIamStandin({
      users: [{ userName: "alice", keys: [{ accessKeyId: "AKIAALICE00000000001" }] }],
      serviceCredentials: [{ userName: "alice", serviceName: BEDROCK, id: "ACCAALICEBEDROCK00001" }],
    });
    const client = new IAMClient({
      endpoint: standin.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIAALICE00000000001", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    try {
      const listed = await client.send(new ListServiceSpecificCredentialsCommand({}));
      expect(listed.ServiceSpecificCredentials).toMatchObject([
        { UserName: "alice", ServiceCredentialAlias: "alice-at-000000000000", Status: "Active" },
      ]);
      await client.send(
        new UpdateServiceSpecificCredentialCommand({
          ServiceSpecificCredentialId: "ACCAALICEBEDROCK00001",
          Status: "Inactive",
        }),
      );
      expect(standin.serviceCredentialStatus("ACCAALICEBEDROCK00001")).toBe("Inactive");
      await expect(
        client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAOTHER00000000001" })),
      ).rejects.toMatchObject({
        name: "AccessDenied",
        message: expect.stringContaining("User: arn:aws:iam::000000000000:user/alice is not authorized"),
      });
    } finally {
      client.destroy();
      await standin.close();
    }
  });

  it("refuses a seeded credential id shorter than IAM allows", async () => {
    await expect(
      startIamStandin({
        users: [],
        serviceCredentials: [{ userName: "u", serviceName: BEDROCK, id: "ACCASHORT" }],
      }),
    ).rejects.toThrow(/20-128 word characters/);
  });
});
