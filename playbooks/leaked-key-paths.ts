import type { ActionName } from "../functions/actions/registry.js";
import type { AuthoredStep } from "./define.js";
import type { InputValue } from "./dsl.js";

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

/** Where a path's alert comes from: how the finder is asked, what every card shows, what a by-hand card leads to. */
export interface AlertSide {
  readonly locateInput: Readonly<Record<string, InputValue>>;
  /** What an approval card says happens after the key is disabled. */
  readonly afterDisable: readonly string[];
  readonly facts: Readonly<Record<string, string>>;
  /** The by-hand card (and what its Approve does) for a key Quell will not disable itself. */
  readonly byHand: (
    ids: Pick<KeyPathIds, "confirmByHand" | "resolveByHand">,
    title: string,
    plan: readonly string[],
    facts: Readonly<Record<string, string>>,
  ) => Record<string, AuthoredStep>;
}

/** A GitHub secret-scanning alert: finders read the secret from it; a key revoked by hand resolves it. */
export const gitHubAlertSide: AlertSide = {
  locateInput: githubAlert,
  afterDisable: ["Resolve the GitHub secret-scanning alert as revoked."],
  facts: alertFacts,
  byHand: (ids, title, plan, facts) => confirmByHandSteps(ids, title, plan, { ...alertFacts, ...facts }),
};

/**
 * A generic alert naming the key itself (`principal.id`: an Anthropic key id, an AWS access key id): nothing to
 * resolve elsewhere, so a key revoked by hand is only recorded.
 */
export const genericAlertSide = (locateInput: Readonly<Record<string, InputValue>>): AlertSide => {
  const facts = {
    Alert: "$.alert.title",
    Emitter: "$.alert.details.emitter",
    Principal: "$.alert.details.principalId",
    Provider: "$.alert.details.principalProvider",
  };
  return {
    locateInput,
    afterDisable: [],
    facts,
    byHand: (ids, title, plan, more) => ({
      [ids.confirmByHand]: {
        type: "approval",
        policy: "one",
        title,
        plan: [...plan, "Approve once it is done, to record it. Deny records that nothing was revoked."],
        facts: { ...facts, ...more },
        timeoutSeconds: DAY,
        onApprove: "revokedByHandElsewhere",
      },
    }),
  };
};

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

/** One provider's way from an alert to a disabled key. Paths in `match` are under the finder's `match`. */
export interface KeyPath {
  readonly ids: KeyPathIds;
  /** Where the alert comes from (default: a GitHub secret-scanning alert). */
  readonly alert?: AlertSide;
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
  const side = path.alert ?? gitHubAlertSide;
  const output = `$.steps.${ids.locate}.output`;
  const protection = `$.steps.${ids.checkProtected}.output`;
  const disableInput = Object.fromEntries(
    Object.entries(path.disableInput).map(([name, field]) => [name, { path: `${output}.${field}` }]),
  );
  const fromOutput = (facts: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(facts).map(([label, field]) => [label, `${output}.${field}`]));
  return {
    [ids.locate]: { type: "action", action: path.find, input: { ...side.locateInput }, next: ids.found },
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
      plan: [...path.approval.plan, ...side.afterDisable],
      facts: { ...side.facts, ...fromOutput(path.facts) },
      timeoutSeconds: DAY,
      onApprove: ids.disable,
    },
    [ids.disable]: {
      type: "action",
      action: path.disable,
      input: disableInput,
      next: path.next,
    },
    ...side.byHand(ids, path.byHand.title, path.byHand.plan, fromOutput(path.byHand.facts)),
    ...side.byHand(
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
 * Deny leaves it open. Also for keys no path can reach (admin keys, unknown providers). `facts` are all it shows.
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
      facts: { ...facts },
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
