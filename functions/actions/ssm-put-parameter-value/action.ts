import * as z from "zod";
import { TargetChanged } from "../../shared/errors.js";
import { defineAction } from "../contract.js";
import {
  ModelId,
  nameRefusal,
  overwriteValue,
  PARAMETER_RESOURCE,
  ParameterArn,
  parameterNameOf,
  parameterText,
  readParameter,
} from "../ssm-parameter.js";

/** A parameter ARN Quell may write: never one of its own, under `/quell/`. */
const WritableParameterArn = ParameterArn.superRefine((arn, check) => {
  const refusal = nameRefusal(parameterNameOf(arn));
  if (refusal) check.addIssue({ code: "custom", message: refusal });
});

/**
 * Put a model id back into the SSM String parameter an application reads it from (PutParameter with Overwrite,
 * which adds a version and keeps the parameter's type, tier, description and policies). The parameter must hold
 * `expectedValue`, the value the approval card showed: any other, and someone changed it since, so nothing is
 * written (`TargetChanged`). Refused: SecureStrings (Quell does not decrypt values to roll them back) and Quell's
 * own parameters under `/quell/`.
 *
 * Reversible: undo puts the replaced value back once it reads the value Quell put; on any other it refuses,
 * writing nothing.
 */
export const putParameterValue = defineAction({
  name: "ssm.put-parameter-value",
  description:
    "Put a model id back into an SSM String parameter (ssm:PutParameter with Overwrite, type, tier, description " +
    "and policies kept), when it holds the value the approval was for.",
  input: z.object({ parameterArn: WritableParameterArn, expectedValue: ModelId, value: ModelId }),
  output: z.object({
    name: z.string(),
    /** The value the parameter held when Quell read it (what undo puts back). */
    replacedValue: z.string(),
    value: z.string(),
    /** The version that held `replacedValue` when Quell read it (PutParameter adds the next one). */
    version: z.number().int(),
  }),
  secrets: [],
  iam: [{ actions: ["ssm:GetParameter", "ssm:PutParameter"], resources: [PARAMETER_RESOURCE] }],
  reversible: true,
  // Not low: every request of the application that reads the parameter moves to another model.
  blastRadius: { maxWrites: 1, low: false },
  timeoutSeconds: 30,
  async plan({ parameterArn, expectedValue, value }, context) {
    const parameter = await readParameter(context, parameterArn);
    const output = {
      name: parameter.name,
      replacedValue: parameter.value,
      value,
      version: parameter.version,
    };
    if (parameter.value === value) return { output, writes: [] };
    if (parameter.value !== expectedValue) {
      throw new TargetChanged(
        `${parameterText(parameter)}, not the ${JSON.stringify(expectedValue)} the approval was for: someone ` +
          "changed it since, and Quell does not overwrite that",
      );
    }
    return { output, writes: [overwriteValue(context, parameter.name, value)] };
  },
  async verify({ parameterArn, value }, context) {
    const parameter = await readParameter(context, parameterArn);
    return { verified: parameter.value === value, observed: parameterText(parameter) };
  },
  async undo({ parameterArn }, context, { output }) {
    const parameter = await readParameter(context, parameterArn);
    // Someone already put it back: nothing left to restore.
    if (parameter.value === output.replacedValue) return [];
    if (parameter.value !== output.value) {
      throw new TargetChanged(
        `${parameterText(parameter)}, not the ${JSON.stringify(output.value)} Quell put: someone changed it ` +
          "since, and Quell does not overwrite that (restore by hand)",
      );
    }
    return [overwriteValue(context, parameter.name, output.replacedValue)];
  },
});
