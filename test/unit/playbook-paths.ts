import { afterAll, beforeAll, vi } from "vitest";
import type { Step } from "../../playbooks/dsl.js";
import { receipt } from "../fixtures/aws/support.js";

/** Freeze the clock at the samples' receipt for the enclosing suite: samples dated November 2026 must be recent. */
export function atSamplesTime(): void {
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(receipt.receivedAt));
  });
  afterAll(() => vi.useRealTimers());
}

/** The value at a dotted JSONPath such as `$.alert.details.guardrailArn`, or undefined when a segment is missing. */
export function at(state: unknown, path: string): unknown {
  let node = state;
  for (const segment of path.split(".").slice(1)) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** Every state path a step reads: an approval's facts, an action's inputs. A missing one fails the execution. */
export function pathsRead(step: Step | undefined): string[] {
  if (step?.type === "approval") return Object.values(step.facts);
  if (step?.type === "action")
    return Object.values(step.input).flatMap((value) =>
      typeof value === "object" && value !== null ? [value.path] : [],
    );
  return [];
}
