import { definePlaybook } from "./define.js";

const DAY = 24 * 3600;
/** How long the SageMaker wait loop waits for an endpoint to reach InService before it gives up. */
const ENDPOINT_MAX_WAIT_SECONDS = 3 * 3600;

/** What the asset of the alert is, and where its environment comes from: shown on every rollback card. */
const assetFacts = {
  Asset: "$.alert.details.assetId",
  Environment: "$.asset.environment",
  "Owner team": "$.asset.ownerTeam",
  Alert: "$.alert.title",
  Reported: "$.alert.type",
  Emitter: "$.alert.source",
} as const;

/**
 * A rollback card's facts, read from its find step's output: what runs now, what Quell would put back, when
 * that was last live (or, where the service keeps no history, when it was made), and how it was chosen.
 */
const rollbackFacts = (
  find: string,
  fields: { current: string; target: string; when: string; whenLabel: string },
) => ({
  ...assetFacts,
  "Current version": `$.steps.${find}.output.${fields.current}`,
  "Target version": `$.steps.${find}.output.${fields.target}`,
  [fields.whenLabel]: `$.steps.${find}.output.${fields.when}`,
  "Chosen from": `$.steps.${find}.output.chosenBy`,
});

/**
 * What every rollback approval shares: one approver, raised to four eyes (`two`) when the inventory lists the
 * asset in production or does not list it at all (Quell cannot tell it is not production). Never `auto`: a
 * rollback can break a release. The environment comes from the inventory, never from the alert.
 */
const rollbackApproval = {
  type: "approval",
  policy: "one",
  fourEyesWhen: "$.asset.treatAsProduction",
  timeoutSeconds: DAY,
} as const;

/** The read of where a SageMaker rollback stands, polled by the playbook's wait loop (never a sleeping Lambda). */
const endpointStatus = {
  type: "action",
  action: "sagemaker.endpoint-status",
  input: {
    endpointArn: { path: "$.alert.details.assetId" },
    targetConfig: { path: "$.steps.findEndpointTarget.output.targetConfig" },
    since: { path: "$.steps.rollbackEndpoint.output.requestedAt" },
    maxWaitSeconds: ENDPOINT_MAX_WAIT_SECONDS,
  },
} as const;

/** The undo line every rollback card ends with. */
const UNDO_LINE =
  "Undo (/quell undo; the thread names the run) puts back the version this replaced, and refuses if someone changed it since.";

/**
 * A model, agent or endpoint changed for the worse (poisoning, an integrity change, a malicious artifact): put it
 * back on its last known-good version. The target comes from the service's own history (a Bedrock agent alias's
 * routing history, an SSM parameter's versions) or from the team's inventory (a SageMaker endpoint's known-good
 * configuration, as SageMaker keeps no history): never from the alert, whose sender must not choose the version.
 * Without a target, a Bedrock agent alias can still be paused; everything else goes to a human.
 */
export const rollbackModel = definePlaybook({
  name: "rollback-model",
  description:
    "Roll a Bedrock agent alias, a SageMaker endpoint or an SSM model pin back to its last known-good version, with approval.",
  handles: ["model_integrity_change", "model_poisoning", "malicious_model_artifact"],
  startAt: "namesAsset",
  steps: {
    namesAsset: {
      type: "choice",
      choices: [{ when: { path: "$.alert.details.assetId", isPresent: true }, next: "whichService" }],
      otherwise: "reviewByHand",
    },
    whichService: {
      type: "choice",
      choices: [
        {
          when: { path: "$.alert.details.assetId", matches: "arn:aws*:bedrock:*:agent-alias/*" },
          next: "findAgentTarget",
        },
        {
          when: { path: "$.alert.details.assetId", matches: "arn:aws*:sagemaker:*:endpoint/*" },
          next: "findEndpointTarget",
        },
        {
          when: { path: "$.alert.details.assetId", matches: "arn:aws*:ssm:*:parameter/*" },
          next: "findParameterTarget",
        },
      ],
      otherwise: "reviewByHand",
    },

    // Bedrock agent alias: the previous version from the alias's own routing history.
    findAgentTarget: {
      type: "action",
      action: "bedrock-agent.find-alias-rollback-target",
      input: { aliasArn: { path: "$.alert.details.assetId" } },
      next: "agentTargetFound",
    },
    agentTargetFound: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.findAgentTarget.output.found", equals: true },
          next: "approveAgentRollback",
        },
      ],
      otherwise: "approveAgentPause",
    },
    approveAgentRollback: {
      ...rollbackApproval,
      title: "Roll the Bedrock agent alias back to its previous version",
      plan: [
        "Route the agent alias shown below to the target version (bedrock:UpdateAgentAlias); its name, description and invocation state are kept.",
        "Every app that calls this alias gets the target version's behaviour at once.",
        UNDO_LINE,
      ],
      facts: rollbackFacts("findAgentTarget", {
        current: "currentVersion",
        target: "targetVersion",
        when: "targetLastLiveAt",
        whenLabel: "Target last live",
      }),
      onApprove: "rollbackAgentAlias",
    },
    rollbackAgentAlias: {
      type: "action",
      action: "bedrock-agent.route-alias-to-version",
      input: {
        aliasArn: { path: "$.alert.details.assetId" },
        expectedVersion: { path: "$.steps.findAgentTarget.output.currentVersion" },
        targetVersion: { path: "$.steps.findAgentTarget.output.targetVersion" },
      },
      next: "agentRolledBack",
    },
    approveAgentPause: {
      ...rollbackApproval,
      title: "No earlier version to roll back to: pause the Bedrock agent alias",
      plan: [
        "The alias's history names no earlier single version to put back (see Why).",
        "Pause the alias instead (aliasInvocationState REJECT_INVOCATIONS): every call to it is refused until it is resumed.",
        "Undo (/quell undo) accepts invocations again.",
      ],
      facts: {
        ...assetFacts,
        "Current version": "$.steps.findAgentTarget.output.currentVersion",
        Why: "$.steps.findAgentTarget.output.why",
      },
      onApprove: "pauseAgentAlias",
    },
    pauseAgentAlias: {
      type: "action",
      action: "bedrock-agent.pause-alias",
      input: { aliasArn: { path: "$.alert.details.assetId" } },
      next: "agentPaused",
    },

    // SageMaker endpoint: SageMaker keeps no history, so the target is the inventory's known-good configuration,
    // else what served before the current one in the deployments Quell learnt from CloudTrail.
    findEndpointTarget: {
      type: "action",
      action: "sagemaker.find-endpoint-rollback-target",
      input: {
        endpointArn: { path: "$.alert.details.assetId" },
        knownGoodConfig: { path: "$.asset.knownGood" },
        deployments: { path: "$.asset.deployments" },
      },
      next: "endpointTargetFound",
    },
    endpointTargetFound: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.findEndpointTarget.output.found", equals: true },
          next: "approveEndpointRollback",
        },
      ],
      otherwise: "rollBackByHand",
    },
    approveEndpointRollback: {
      ...rollbackApproval,
      title: "Roll the SageMaker endpoint back to its known-good configuration",
      plan: [
        "Update the endpoint to the target endpoint configuration (sagemaker:UpdateEndpoint, RetainAllVariantProperties): SageMaker shifts traffic without downtime.",
        "Quell then waits for the endpoint to be InService on it (up to 3 hours) and reports the outcome here.",
        UNDO_LINE,
      ],
      facts: rollbackFacts("findEndpointTarget", {
        current: "currentConfig",
        target: "targetConfig",
        when: "targetCreatedAt",
        whenLabel: "Target created",
      }),
      onApprove: "rollbackEndpoint",
    },
    rollbackEndpoint: {
      type: "action",
      action: "sagemaker.rollback-endpoint",
      input: {
        endpointArn: { path: "$.alert.details.assetId" },
        expectedConfig: { path: "$.steps.findEndpointTarget.output.currentConfig" },
        targetConfig: { path: "$.steps.findEndpointTarget.output.targetConfig" },
      },
      next: "endpointUpdateSent",
    },
    // A dry run sent nothing: there is no update to wait for.
    endpointUpdateSent: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.rollbackEndpoint.mode", equals: "planned" },
          next: "endpointRollbackPlanned",
        },
      ],
      otherwise: "waitForEndpoint",
    },
    waitForEndpoint: { type: "wait", seconds: 60, next: "pollEndpoint" },
    // Polled quietly (each answer would flood the timeline); the outcome is read once more, and recorded, below.
    pollEndpoint: { ...endpointStatus, quiet: true, next: "endpointSettled" },
    endpointSettled: {
      type: "choice",
      choices: [
        { when: { path: "$.steps.pollEndpoint.output.settled", equals: "waiting" }, next: "waitForEndpoint" },
      ],
      otherwise: "endpointOutcome",
    },
    endpointOutcome: { ...endpointStatus, next: "endpointInService" },
    endpointInService: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.endpointOutcome.output.settled", equals: "in_service" },
          next: "endpointRolledBack",
        },
        {
          when: { path: "$.steps.endpointOutcome.output.settled", equals: "timed_out" },
          next: "endpointTimedOut",
        },
      ],
      otherwise: "endpointFailed",
    },

    // SSM model pin: the parameter's own history names the previous value.
    findParameterTarget: {
      type: "action",
      action: "ssm.find-parameter-rollback-target",
      input: { parameterArn: { path: "$.alert.details.assetId" } },
      next: "parameterTargetFound",
    },
    parameterTargetFound: {
      type: "choice",
      choices: [
        {
          when: { path: "$.steps.findParameterTarget.output.found", equals: true },
          next: "approveParameterRollback",
        },
      ],
      otherwise: "rollBackByHand",
    },
    approveParameterRollback: {
      ...rollbackApproval,
      title: "Put the model pin back to its previous value",
      plan: [
        "Write the target value to the SSM parameter shown below (ssm:PutParameter, Overwrite): the app reads its model id from it.",
        "The app uses the target model from its next read of the parameter (its cache, if any, decides when).",
        UNDO_LINE,
      ],
      facts: rollbackFacts("findParameterTarget", {
        current: "currentValue",
        target: "targetValue",
        when: "targetLastLiveAt",
        whenLabel: "Target last live",
      }),
      onApprove: "rollbackParameter",
    },
    rollbackParameter: {
      type: "action",
      action: "ssm.put-parameter-value",
      input: {
        parameterArn: { path: "$.alert.details.assetId" },
        expectedValue: { path: "$.steps.findParameterTarget.output.currentValue" },
        value: { path: "$.steps.findParameterTarget.output.targetValue" },
      },
      next: "parameterRolledBack",
    },

    rollBackByHand: {
      type: "approval",
      policy: "one",
      title: "No known-good version Quell can trust: roll back by hand",
      plan: [
        "Quell found no version to put back that it can trust (see Asset and the thread); it never takes one from the alert.",
        "Roll the asset back by hand (or add its known-good version to the inventory, `knownGood`), then Approve to record it.",
        "Deny records that nothing was done.",
      ],
      facts: assetFacts,
      timeoutSeconds: DAY,
      onApprove: "rolledBackByHand",
    },
    reviewByHand: {
      type: "approval",
      policy: "one",
      title: "Model change reported: review it by hand",
      plan: [
        "Quell rolls back a Bedrock agent alias, a SageMaker endpoint or an SSM model pin named by the alert's asset ARN; this alert names none of those.",
        "Review the change and roll it back by hand, then Approve to record it. Deny records that nothing was done.",
      ],
      facts: { Alert: "$.alert.title", Emitter: "$.alert.source", Severity: "$.alert.severity" },
      timeoutSeconds: DAY,
      onApprove: "rolledBackByHand",
    },

    agentRolledBack: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The agent alias routes to its previous version again.",
    },
    agentPaused: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The agent alias is paused: it refuses every invocation until resumed.",
    },
    endpointRolledBack: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The endpoint is InService on its known-good configuration.",
    },
    endpointRollbackPlanned: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Dry run: the endpoint update was planned and not sent.",
    },
    parameterRolledBack: {
      type: "succeed",
      outcome: "mitigated",
      summary: "The model pin holds its previous value again.",
    },
    rolledBackByHand: {
      type: "succeed",
      outcome: "mitigated",
      summary: "Rolled back by hand; confirmed in Quell.",
    },
    endpointTimedOut: {
      type: "fail",
      error: "EndpointNotInService",
      cause:
        "The endpoint did not reach InService on the target configuration within 3 hours: check it in SageMaker.",
    },
    endpointFailed: {
      type: "fail",
      error: "EndpointUpdateFailed",
      cause:
        "SageMaker did not put the endpoint on the target configuration (see the status step in the thread).",
    },
  },
});
