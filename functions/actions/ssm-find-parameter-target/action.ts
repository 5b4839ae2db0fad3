import { GetParameterHistoryCommand, type ParameterHistory } from "@aws-sdk/client-ssm";
import * as z from "zod";
import { type ActionContext, defineAction } from "../contract.js";
import {
  modelIdProblem,
  nameRefusal,
  PARAMETER_RESOURCE,
  ParameterArn,
  parameterNameOf,
  typeRefusal,
} from "../ssm-parameter.js";

export const CHOSEN_BY = "the parameter's own history (GetParameterHistory)";

/** GetParameterHistory's page limit. SSM keeps a parameter's last 100 versions: a few pages at most. */
const PAGE_SIZE = 50;
const MAX_PAGES = 10;

/** The versions the output names; null for what was not read or is not shown. */
interface Versions {
  readonly currentVersion: number | null;
  readonly currentValue: string | null;
  readonly targetVersion: number | null;
  readonly targetValue: string | null;
  readonly targetLastLiveAt: string | null;
}

const NOTHING_READ: Versions = {
  currentVersion: null,
  currentValue: null,
  targetVersion: null,
  targetValue: null,
  targetLastLiveAt: null,
};

/** Every version SSM keeps of the parameter, oldest first; values are never decrypted. */
async function versionsOf(context: ActionContext, name: string): Promise<ParameterHistory[]> {
  const versions: ParameterHistory[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await context.aws.ssm().send(
      new GetParameterHistoryCommand({
        Name: name,
        MaxResults: PAGE_SIZE,
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
    versions.push(...(answer.Parameters ?? []));
    nextToken = answer.NextToken;
    if (!nextToken) return versions.sort((a, b) => (a.Version ?? 0) - (b.Version ?? 0));
  }
  throw new Error(`GetParameterHistory for ${name} still had more after ${MAX_PAGES} pages`);
}

/**
 * Find what an SSM parameter holding a model id would roll back to, for the approval card; writes nothing. The
 * target is the newest earlier version whose value differs from the current one (a re-put of the same model id is
 * not a change), and it was live until the version after it replaced it. Refused (`found: false`, with why):
 * Quell's own parameters under `/quell/` (not even read), SecureStrings (Quell does not decrypt to roll back), and
 * values that are not a model id (over 512 characters, or not printable text).
 */
export const findParameterRollbackTarget = defineAction({
  name: "ssm.find-parameter-rollback-target",
  description:
    "Read an SSM parameter's versions (GetParameterHistory, never decrypted) and find the newest earlier value " +
    "to put back; writes nothing.",
  input: z.object({ parameterArn: ParameterArn }),
  output: z.object({
    name: z.string(),
    currentVersion: z.number().int().nullable(),
    /** Null when the parameter was not read or its value is not shown (SecureString, not a model id). */
    currentValue: z.string().nullable(),
    targetVersion: z.number().int().nullable(),
    targetValue: z.string().nullable(),
    /** When the target stopped being live: when the version after it was written (ISO 8601). */
    targetLastLiveAt: z.iso.datetime().nullable(),
    chosenBy: z.string(),
    found: z.boolean(),
    why: z.string(),
  }),
  secrets: [],
  iam: [{ actions: ["ssm:GetParameterHistory"], resources: [PARAMETER_RESOURCE] }],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 30,
  async plan({ parameterArn }, context) {
    const name = parameterNameOf(parameterArn);
    const result = (found: boolean, why: string, read: Partial<Versions> = {}) => ({
      output: { name, ...NOTHING_READ, ...read, chosenBy: CHOSEN_BY, found, why },
      writes: [],
    });
    const ownSecret = nameRefusal(name);
    if (ownSecret) return result(false, ownSecret);

    const versions = await versionsOf(context, name);
    const current = versions.at(-1);
    if (!current) return result(false, `SSM lists no versions of ${name}`);
    const currentVersion = current.Version ?? null;
    const refusal = typeRefusal(name, current.Type);
    if (refusal) return result(false, refusal, { currentVersion });
    const currentValue = current.Value ?? "";
    const currentProblem = modelIdProblem(currentValue);
    if (currentProblem) {
      return result(
        false,
        `the current value (version ${currentVersion}) is not a model id: ${currentProblem}`,
        {
          currentVersion,
        },
      );
    }
    const read = { currentVersion, currentValue };
    const index = versions.findLastIndex((version) => version.Value !== currentValue);
    const target = versions[index];
    if (!target) {
      return result(false, `no earlier version of ${name} holds another value than ${currentValue}`, read);
    }
    const targetRefusal = typeRefusal(name, target.Type);
    const targetProblem = targetRefusal ? null : modelIdProblem(target.Value ?? "");
    if (targetRefusal || targetProblem) {
      const why = targetRefusal ?? `version ${target.Version}'s value is not a model id: ${targetProblem}`;
      return result(false, why, { ...read, targetVersion: target.Version ?? null });
    }
    const targetLastLiveAt = versions[index + 1]?.LastModifiedDate?.toISOString() ?? null;
    return result(
      true,
      `put back version ${target.Version} (${target.Value}), live until ${targetLastLiveAt ?? "an unknown time"} ` +
        `when version ${versions[index + 1]?.Version} replaced it; now version ${currentVersion} (${currentValue})`,
      { ...read, targetVersion: target.Version ?? null, targetValue: target.Value ?? "", targetLastLiveAt },
    );
  },
});
