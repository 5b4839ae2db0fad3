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

export interface ActionContext {
  readonly http: HttpClient;
  readonly secret: (name: SecretName) => Promise<string>;
  readonly aws: AwsClients;
  readonly env: NodeJS.ProcessEnv;
}

/** AWS SDK clients actions may use; each is created lazily so unused ones cost nothing. */
export interface AwsClients {
  readonly iam: () => import("@aws-sdk/client-iam").IAMClient;
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
  /** The most targets one run may touch. */
  readonly blastRadius: { readonly maxWrites: number };
  readonly timeoutSeconds: number;
  /** Reads what it needs and returns the exact writes it would make. Must not mutate anything itself. */
  readonly plan: (input: z.infer<Input>, context: ActionContext) => Promise<ActionPlan<z.infer<Output>>>;
  /** The writes that restore the state before apply, for reversible actions. */
  readonly undo?: (input: z.infer<Input>, context: ActionContext) => Promise<readonly Write[]>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds actions of every input and output type.
export type AnyAction = ActionDefinition<string, any, any>;

export function defineAction<Name extends string, Input extends z.ZodType, Output extends z.ZodType>(
  definition: ActionDefinition<Name, Input, Output>,
): ActionDefinition<Name, Input, Output> {
  return definition;
}
