import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";

/** A conditional write lost: the item was not in the state the write required. */
export const isConditionFailure = (error: unknown) =>
  error instanceof ConditionalCheckFailedException ||
  (error as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";

/** `SET #k0 = :v0, …` for the defined entries of `changes`, with its names and values. */
export function setExpression(changes: Record<string, unknown>) {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
  return {
    expression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(", ")}`,
    names: Object.fromEntries(entries.map(([key], i) => [`#k${i}`, key])),
    values: Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
  };
}
