import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;

/** What tightening does, on both cards that offer it. */
const tighteningPlan = [
  "Set the guardrail's prompt-attack filter (PROMPT_ATTACK) to HIGH on prompts, on its working draft (bedrock:UpdateGuardrail); every other setting is written back unchanged. Nothing changes if it is already HIGH.",
  "HIGH blocks more attacks, and may block some legitimate prompts of every app that uses this guardrail.",
  "Apps that call a numbered version of the guardrail (the alert names the one it saw) keep their setting until a version is published from the draft and they use it.",
  "Undo puts the previous strength back (/quell undo; the thread names the run).",
];

/** The tightening of the guardrail an alert names at `guardrailPath`: one step per source, same action. */
const tighten = (guardrailPath: string) =>
  ({
    type: "action",
    action: "bedrock.tighten-prompt-attack-filter",
    input: { guardrailIdentifier: { path: guardrailPath } },
    next: "tightened",
  }) as const;

/**
 * Prompt injection against an app behind an Amazon Bedrock guardrail: GuardDuty's PromptInjection.Direct
 * finding or the app's own guardrail check (the bedrock-guardrails detector) names the guardrail that saw the
 * attack. Ask a human, then raise that guardrail's prompt-attack filter to HIGH (reversible: undo restores the
 * strength it had). Alerts that name no Bedrock guardrail (other detectors, metrics) go to a human who reviews
 * them by hand: Quell has nothing of theirs to tighten.
 */
export const tightenGuardrail = definePlaybook({
  name: "tighten-guardrail",
  description:
    "Raise the prompt-attack filter of the Bedrock guardrail behind a prompt injection to HIGH, with approval.",
  handles: ["prompt_injection"],
  startAt: "fromGuardrailSource",
  steps: {
    // Only these two adapters say which Bedrock guardrail saw the attack, each in its own detail.
    fromGuardrailSource: {
      type: "choice",
      choices: [
        { when: { path: "$.alert.source", equals: "aws.guardduty" }, next: "guardDutyNamesGuardrail" },
        { when: { path: "$.alert.source", equals: "bedrock-guardrails" }, next: "detectorNamesGuardrail" },
      ],
      otherwise: "reviewByHand",
    },
    guardDutyNamesGuardrail: {
      type: "choice",
      choices: [
        {
          when: { path: "$.alert.details.guardrailArn", isPresent: true },
          next: "approveGuardDutyTightening",
        },
      ],
      otherwise: "reviewByHand",
    },
    detectorNamesGuardrail: {
      type: "choice",
      choices: [
        {
          when: { path: "$.alert.details.guardrailIdentifier", isPresent: true },
          next: "approveDetectorTightening",
        },
      ],
      otherwise: "reviewByHand",
    },
    // With a guardrail ARN the GuardDuty adapter always sets these details (null when unknown).
    approveGuardDutyTightening: {
      type: "approval",
      policy: "one",
      title: "Tighten the Bedrock guardrail against prompt attacks",
      plan: tighteningPlan,
      facts: {
        Guardrail: "$.alert.details.guardrailArn",
        "Guardrail version": "$.alert.details.guardrailVersion",
        Principal: "$.alert.details.principalArn",
        Detector: "$.alert.source",
        "Finding type": "$.alert.details.findingType",
        "GuardDuty severity": "$.alert.details.guardDutySeverity",
        Account: "$.alert.details.accountId",
        "Source IP": "$.alert.details.remoteIp",
      },
      timeoutSeconds: DAY,
      onApprove: "tightenGuardDutyGuardrail",
    },
    tightenGuardDutyGuardrail: tighten("$.alert.details.guardrailArn"),
    // The detector always sets these; the guardrail version is in the finding when the app sent it.
    approveDetectorTightening: {
      type: "approval",
      policy: "one",
      title: "Tighten the Bedrock guardrail against prompt attacks",
      plan: tighteningPlan,
      facts: {
        Guardrail: "$.alert.details.guardrailIdentifier",
        App: "$.alert.details.app",
        Principal: "$.alert.details.principalId",
        "Principal type": "$.alert.details.principalType",
        Detector: "$.alert.details.detector",
        "Attack confidence": "$.alert.details.promptAttackConfidence",
        Finding: "$.alert.title",
      },
      timeoutSeconds: DAY,
      onApprove: "tightenDetectorGuardrail",
    },
    tightenDetectorGuardrail: tighten("$.alert.details.guardrailIdentifier"),
    reviewByHand: {
      type: "approval",
      policy: "one",
      title: "Prompt injection: review it by hand",
      plan: [
        "Quell tightens only the Amazon Bedrock guardrail that GuardDuty or the bedrock-guardrails detector names; this alert names none (see Source).",
        "Review the attempt and harden the app or its detector by hand, then Approve to record it.",
        "Deny records that nothing was done.",
      ],
      facts: {
        Source: "$.alert.source",
        Alert: "$.alert.title",
        Severity: "$.alert.severity",
      },
      timeoutSeconds: DAY,
      onApprove: "reviewedByHand",
    },
    tightened: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The guardrail's prompt-attack filter is at HIGH on its draft.",
    },
    reviewedByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Prompt injection reviewed and handled by hand; confirmed in Quell.",
    },
  },
});
