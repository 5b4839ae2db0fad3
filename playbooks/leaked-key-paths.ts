import type { ActionName } from "../functions/actions/registry.js";
import type { AuthoredStep } from "./define.js";

const DAY = 24 * 3600;

/** The GitHub alert a leaked-key path works on, as action input. */
export const githubAlert = {
  repository: { path: "$.alert.details.repository" },
  alertNumber: { path: "$.alert.details.alertNumber" },
} as const;

/** Facts every card of the leaked-key playbook shows for a GitHub alert. */
export const alertFacts = {
  Repository: "$.alert.details.repository",
  "GitHub alert": "$.alert.details.htmlUrl",
  "Secret type": "$.alert.details.secretTypeDisplayName",
} as const;

/** The step ids of one provider's path. */
export interface KeyPathIds {
  readonly locate: string;
  readonly found: string;
  readonly checkProtected: string;
  readonly isProtected: string;
  readonly confirmProtected: string;
  readonly resolveProtected: string;
  readonly approve: string;
  readonly disable: string;
  readonly confirmByHand: string;
  readonly resolveByHand: string;
}

/** `Anthropic` → locateAnthropicKey, anthropicKeyFound, approveAnthropicKey, disableAnthropicKey, … */
export const keyPathIds = (stem: string): KeyPathIds => ({
  locate: `locate${stem}Key`,
  found: `${stem.charAt(0).toLowerCase()}${stem.slice(1)}KeyFound`,
  checkProtected: `check${stem}KeyProtected`,
  isProtected: `${stem.charAt(0).toLowerCase()}${stem.slice(1)}KeyProtected`,
  confirmProtected: `confirmProtected${stem}KeyByHand`,
  resolveProtected: `resolveAlertAfterProtected${stem}KeyByHand`,
  approve: `approve${stem}Key`,
  disable: `disable${stem}Key`,
  confirmByHand: `confirm${stem}KeyByHand`,
  resolveByHand: `resolveAlertAfter${stem}KeyByHand`,
});

/** One provider's way from a GitHub alert to a disabled key. Paths in `match` are under the finder's `match`. */
export interface KeyPath {
  readonly ids: KeyPathIds;
  /** The read-only finder: its output has `matchCount` and `match` (null unless exactly one key matched). */
  readonly find: ActionName;
  /** The action that disables the key, and its input: `match.<field>` names a field of the finder's match. */
  readonly disable: ActionName;
  readonly disableInput: Readonly<Record<string, `match.${string}`>>;
  readonly approval: { readonly title: string; readonly plan: readonly string[] };
  /** Card facts read from the finder's output (`match.…` or another output field). */
  readonly facts: Readonly<Record<string, string>>;
  readonly byHand: {
    readonly title: string;
    readonly plan: readonly string[];
    readonly facts: Readonly<Record<string, string>>;
  };
  /** Where the path goes once the key is disabled. */
  readonly next: string;
}

/**
 * The steps of one provider's path: find the key (read-only), and only on exactly one match ask a human and
 * disable it; on none or several, Quell does not guess: a human disables it by hand and confirms, and Quell then
 * resolves the GitHub alert as revoked.
 */
export function keyPathSteps(path: KeyPath): Record<string, AuthoredStep> {
  const { ids } = path;
  const output = `$.steps.${ids.locate}.output`;
  const protection = `$.steps.${ids.checkProtected}.output`;
  const disableInput = Object.fromEntries(
    Object.entries(path.disableInput).map(([name, field]) => [name, { path: `${output}.${field}` }]),
  );
  const fromOutput = (facts: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(facts).map(([label, field]) => [label, `${output}.${field}`]));
  return {
    [ids.locate]: { type: "action", action: path.find, input: { ...githubAlert }, next: ids.found },
    [ids.found]: {
      type: "choice",
      choices: [{ when: { path: `${output}.matchCount`, equals: 1 }, next: ids.checkProtected }],
      otherwise: ids.confirmByHand,
    },
    [ids.checkProtected]: {
      type: "action",
      action: "quell.check-protected",
      input: disableInput,
      quiet: true,
      next: ids.isProtected,
    },
    [ids.isProtected]: {
      type: "choice",
      choices: [{ when: { path: `${protection}.protected`, equals: true }, next: ids.confirmProtected }],
      otherwise: ids.approve,
    },
    [ids.approve]: {
      type: "approval",
      policy: "one",
      title: path.approval.title,
      plan: [...path.approval.plan],
      facts: { ...alertFacts, ...fromOutput(path.facts) },
      timeoutSeconds: DAY,
      onApprove: ids.disable,
    },
    [ids.disable]: {
      type: "action",
      action: path.disable,
      input: disableInput,
      next: path.next,
    },
    ...confirmByHandSteps(ids, path.byHand.title, path.byHand.plan, fromOutput(path.byHand.facts)),
    ...confirmByHandSteps(
      { confirmByHand: ids.confirmProtected, resolveByHand: ids.resolveProtected },
      "A protected key leaked: disable it by hand",
      [
        "The key shown below belongs to a protected principal (see Protected by): Quell never disables it, automatically or by approval.",
        "Disable or rotate it by hand with its owners.",
      ],
      {
        ...fromOutput(path.facts),
        "Protected principal": `${protection}.principal`,
        "Protected by": `${protection}.entry`,
      },
    ),
  };
}

/**
 * A card asking a human to disable the key by hand and confirm; Approve resolves the GitHub alert as revoked,
 * Deny leaves it open. Also for keys no path can reach (admin keys, unknown providers).
 */
export function confirmByHandSteps(
  ids: Pick<KeyPathIds, "confirmByHand" | "resolveByHand">,
  title: string,
  plan: readonly string[],
  facts: Readonly<Record<string, string>>,
): Record<string, AuthoredStep> {
  return {
    [ids.confirmByHand]: {
      type: "approval",
      policy: "one",
      title,
      plan: [
        ...plan,
        "Approve once it is done: Quell resolves the GitHub alert as revoked. Deny leaves the GitHub alert open.",
      ],
      facts: { ...alertFacts, ...facts },
      timeoutSeconds: DAY,
      onApprove: ids.resolveByHand,
    },
    [ids.resolveByHand]: {
      type: "action",
      action: "github.resolve-secret-scanning-alert",
      input: { ...githubAlert, resolution: "revoked", comment: "Key revoked by hand; confirmed in Quell." },
      next: "mitigatedByHand",
    },
  };
}
