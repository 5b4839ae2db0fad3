import { GetParameterCommand, PutParameterCommand, type PutParameterRequest } from "@aws-sdk/client-ssm";
import * as z from "zod";
import { ValidationError } from "../shared/errors.js";
import type { ActionContext, Write } from "./contract.js";

/**
 * What the SSM model-pin actions share: the parameter ARN they take, what they refuse to touch, what a model id
 * may look like, the read and the one write (PutParameter) that puts a value back.
 */

/** One level of a parameter name: SSM's name characters, and not only dots (no `.` or `..` levels). */
const LEVEL = String.raw`(?!\.+(?:/|$))[a-zA-Z0-9_.-]+`;

/**
 * `arn:<partition>:ssm:<region>:<account>:parameter/<name without its leading slash>`: a hierarchical name of at
 * most 15 levels, and nothing else.
 */
const PARAMETER_ARN = new RegExp(
  String.raw`^arn:aws(?:-[a-z]+)*:ssm:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:parameter/(${LEVEL}(?:/${LEVEL}){0,14})$`,
);

/** SSM allows 1011 characters for a parameter name together with its ARN. */
export const ParameterArn = z.string().max(1011).regex(PARAMETER_ARN, "an SSM parameter ARN");

/** The parameter name an (already validated) parameter ARN names: `/` and the ARN's path. */
export const parameterNameOf = (parameterArn: string): string =>
  `/${PARAMETER_ARN.exec(parameterArn)?.[1] ?? ""}`;

// biome-ignore lint/suspicious/noTemplateCurlyInString: placeholders that infra fills per stack.
export const PARAMETER_RESOURCE = "arn:${Partition}:ssm:${Region}:${Account}:parameter/*";

const MODEL_ID_MAX = 512;
/** Control, format, private-use and unassigned characters, and line or paragraph separators. */
const NOT_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/u;

/** Why a value cannot be a model id to put back (too long, or not printable text), or null when it can. */
export function modelIdProblem(value: string): string | null {
  if (value.length === 0) return "it is empty";
  if (value.length > MODEL_ID_MAX)
    return `it is ${value.length} characters long (a model id is at most ${MODEL_ID_MAX})`;
  if (NOT_PRINTABLE.test(value)) return "it holds characters that are not printable text";
  return null;
}

/** A model id as the write action takes one: short printable text. */
export const ModelId = z.string().superRefine((value, check) => {
  const problem = modelIdProblem(value);
  if (problem) check.addIssue({ code: "custom", message: `not a model id: ${problem}` });
});

/** Why Quell refuses to roll back the parameter `name`, or null: its own secrets, never. */
export function nameRefusal(name: string): string | null {
  return name.toLowerCase().startsWith("/quell/")
    ? `${name} is under /quell/, Quell's own secrets: Quell never reads or changes them`
    : null;
}

/** Why Quell refuses a parameter of this type, or null: it never decrypts a value to put it back. */
export function typeRefusal(name: string, type: string | undefined): string | null {
  return type === "SecureString"
    ? `${name} is a SecureString: Quell does not decrypt values to roll them back`
    : null;
}

/** What the write action reads of a parameter: its newest version. */
export interface ParameterState {
  readonly name: string;
  readonly value: string;
  readonly version: number;
}

/**
 * GetParameter (never decrypted) for the parameter the ARN names. Refuses a SecureString, and a parameter whose ARN
 * is not the one asked for (a client in another account or region than the ARN's).
 */
export async function readParameter(context: ActionContext, parameterArn: string): Promise<ParameterState> {
  const name = parameterNameOf(parameterArn);
  const { Parameter: parameter } = await context.aws.ssm().send(new GetParameterCommand({ Name: name }));
  if (parameter?.ARN !== parameterArn) {
    throw new ValidationError(
      `SSM answered for ${parameter?.ARN ?? "no parameter"}, not ${parameterArn}: Quell's SSM client is in ` +
        "another account or region than the ARN",
    );
  }
  const refusal = typeRefusal(name, parameter.Type);
  if (refusal) throw new ValidationError(refusal);
  return { name, value: parameter.Value ?? "", version: parameter.Version ?? 0 };
}

/** A parameter's newest version in a few words, for read-back observations and refusals. */
export const parameterText = ({ name, value, version }: ParameterState): string =>
  `parameter ${name} version ${version} holds ${JSON.stringify(value)}`;

/**
 * PutParameter with `Overwrite: true` and nothing else but the name and value: on an update SSM keeps the type,
 * tier, description, data type, allowed pattern and policies it is not sent (a type is required only to create,
 * policies stay until new ones are sent), and refuses Tags together with Overwrite.
 */
export function overwriteValue(context: ActionContext, name: string, value: string): Write {
  const input: PutParameterRequest = { Name: name, Value: value, Overwrite: true };
  return {
    description: { kind: "aws", service: "ssm", operation: "PutParameter", input },
    send: () => context.aws.ssm().send(new PutParameterCommand(input)),
  };
}
