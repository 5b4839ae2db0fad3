import type { z } from "zod";
import type { SecretName } from "../shared/env.js";
import type { HttpClient } from "../shared/http.js";

/** One IAM statement an action needs. Infra builds the action's role from exactly these. */
export interface IamNeed {
  readonly actions: readonly string[];
  /** Resource ARNs; `${Partition}`, `${Region}` and `${Account}` are filled in by infra. */
  readonly resources: readonly string[];
}

/** What a write would send, recorded verbatim in dry run and in the timeline. Never holds a secret. */
export type WriteDescription =
  | {
      readonly kind: "http";
      readonly method: "POST" | "PUT" | "PATCH" | "DELETE";
      readonly url: string;
      readonly body?: unknown;
    }
  | { readonly kind: "aws"; readonly service: string; readonly operation: string; readonly input: unknown };

/** A mutating call: its description, and the function that sends it. Only the runner may call send. */
export interface Write {
  readonly description: WriteDescription;
  readonly send: () => Promise<unknown>;
}

/** How a sent write ended: sent, or failed with the error's name and words, and the HTTP status when one came. */
export type WriteOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: string; readonly message: string; readonly status: number | null };

/**
 * Where the runner records each write before sending it, then how it ended. A provider can apply a write and
 * still answer 500: the retry then finds nothing left to write, and without this record Quell's first write
 * would be missing from the incident. Only the runner calls it.
 */
export interface ActionJournal {
  /** Recorded before the write is sent; when it cannot be recorded, it throws and nothing is sent. */
  attempted(write: WriteDescription): Promise<void>;
  /** Never throws: the write went out (or failed) either way; a failure to record it is reported elsewhere. */
  settled(write: WriteDescription, outcome: WriteOutcome): Promise<void>;
}

export interface ActionContext {
  readonly http: HttpClient;
  readonly secret: (name: SecretName) => Promise<string>;
  readonly aws: AwsClients;
  readonly env: NodeJS.ProcessEnv;
  /** Records every write as attempted, then settled (see ActionJournal). */
  readonly journal: ActionJournal;
}

/** AWS SDK clients actions may use; each is created lazily so unused ones cost nothing. */
export interface AwsClients {
  readonly iam: () => import("@aws-sdk/client-iam").IAMClient;
  /** The Bedrock control plane (guardrails), not the runtime that invokes models. */
  readonly bedrock: () => import("@aws-sdk/client-bedrock").BedrockClient;
  /** Bedrock Agents' build-time API (agents, action groups, aliases), not the runtime that invokes them. */
  readonly bedrockAgent: () => import("@aws-sdk/client-bedrock-agent").BedrockAgentClient;
  readonly sagemaker: () => import("@aws-sdk/client-sagemaker").SageMakerClient;
  /** Systems Manager Parameter Store, for parameters an application reads (its model id, say). */
  readonly ssm: () => import("@aws-sdk/client-ssm").SSMClient;
  /** Amazon S3, for documents a knowledge base ingests. */
  readonly s3: () => import("@aws-sdk/client-s3").S3Client;
}

export interface ActionPlan<Output> {
  /** What the action found and targets; returned whether or not the writes are sent. */
  readonly output: Output;
  /** The mutations, in order. Empty for read-only actions. */
  readonly writes: readonly Write[];
}

export interface ActionDefinition<Name extends string, Input extends z.ZodType, Output extends z.ZodType> {
  readonly name: Name;
  readonly description: string;
  readonly input: Input;
  readonly output: Output;
  readonly secrets: readonly SecretName[];
  readonly iam: readonly IamNeed[];
  /** Whether undo can restore what apply changed. */
  readonly reversible: boolean;
  readonly blastRadius: {
    /** The most writes one run may make; the runner refuses a plan over budget. */
    readonly maxWrites: number;
    /**
     * Whether the action's effect is contained: one target, nothing running breaks while it lasts. Only
     * reversible, low-blast-radius actions may run under the `auto` approval policy (no human first).
     */
    readonly low: boolean;
  };
  readonly timeoutSeconds: number;
  /**
   * The principals and credentials the action's writes change (user and role names or ARNs, key ids), from its
   * input and planned output: the runner refuses to send anything when one is protected (QUELL_PROTECTED_PRINCIPALS).
   */
  readonly changes?: (
    input: z.infer<Input>,
    output: z.infer<Output>,
  ) => readonly (string | null | undefined)[];
  /** Reads what it needs and returns the exact writes it would make. Must not mutate anything itself. */
  readonly plan: (input: z.infer<Input>, context: ActionContext) => Promise<ActionPlan<z.infer<Output>>>;
  /**
   * Reads the target back after the writes were sent: `verified` when it is in the wanted state, with what was
   * `observed`. A target that is not fails the step (the writes went out, but the containment did not hold).
   */
  readonly verify?: (input: z.infer<Input>, context: ActionContext) => Promise<Verification>;
  /**
   * The writes that restore the state before apply, for reversible actions. Only a run that applied writes
   * is undone (a run that found its target already in the wanted state changed nothing). `applied` is what
   * that run recorded: its output says what it replaced (a previous setting) when the input alone cannot.
   */
  readonly undo?: (
    input: z.infer<Input>,
    context: ActionContext,
    applied: AppliedRun<z.infer<Output>>,
  ) => Promise<readonly Write[]>;
}

/** The applied run an undo restores, as the action run record kept it. */
export interface AppliedRun<Output> {
  /** The output its plan returned, validated again with the action's output schema. */
  readonly output: Output;
}

/** Whether an action sends writes at all (a read-only one has a write budget of 0). */
export const writes = (action: AnyAction): boolean => action.blastRadius.maxWrites > 0;

/**
 * Whether an action contains something (its effect is not contained to one low-impact target): what the
 * containment budget counts, and what the compiler marks an approval in front of.
 */
export const isContainment = (action: AnyAction): boolean => !action.blastRadius.low;

/** Whether an action may run with no human first (the `auto` policy): reversible, undoable, low blast radius. */
export const isAutoApprovable = (action: AnyAction): boolean =>
  action.reversible && action.undo !== undefined && action.blastRadius.low;

export interface Verification {
  readonly verified: boolean;
  /** What the read-back found, in a few words; shown in the incident's thread. Never holds a secret. */
  readonly observed: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds actions of every input and output type.
export type AnyAction = ActionDefinition<string, any, any>;

export function defineAction<Name extends string, Input extends z.ZodType, Output extends z.ZodType>(
  definition: ActionDefinition<Name, Input, Output>,
): ActionDefinition<Name, Input, Output> {
  return definition;
}
