import { Duration } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { CONTAINMENT_BUDGET_ENV } from "../../../functions/shared/containment-budget.js";
import { EnvNames } from "../../../functions/shared/env.js";
import { coreFunctions } from "../catalog.js";
import type { QuellConfig } from "../config.js";
import { QuellFunction, type SecretLookup } from "./quell-function.js";

export interface PlaybookTasksProps {
  readonly table: ITable;
  readonly secretLookup: SecretLookup;
  readonly config: QuellConfig;
}

/** The functions playbooks call besides actions: the Slack approval request and the timeline recorder. */
export class PlaybookTasks extends Construct {
  readonly approvalRequest: QuellFunction;
  readonly recorder: QuellFunction;

  constructor(scope: Construct, id: string, { table, secretLookup, config }: PlaybookTasksProps) {
    super(scope, id);
    const approval = coreFunctions.approvalRequest;
    this.approvalRequest = new QuellFunction(this, "ApprovalRequest", {
      entry: approval.entry,
      description: approval.description,
      timeout: Duration.seconds(approval.timeoutSeconds),
      environment: {
        [EnvNames.tableName]: table.tableName,
        [EnvNames.approvers]: config.approvers.join(","),
        [EnvNames.dryRun]: String(config.dryRun),
        ...(config.slackChannel ? { [EnvNames.slackChannel]: config.slackChannel } : {}),
        ...(config.slackApiUrl ? { [EnvNames.slackApiUrl]: config.slackApiUrl } : {}),
        ...(config.containmentsPerHour
          ? { [CONTAINMENT_BUDGET_ENV]: String(config.containmentsPerHour) }
          : {}),
        ...(config.playbookDocsUrl ? { [EnvNames.playbookDocsUrl]: config.playbookDocsUrl } : {}),
      },
      secrets: approval.secrets,
      secretLookup,
    });
    // Read and write: the approval, the timeline, the incident's status and its Slack thread (UpdateItem).
    table.grantReadWriteData(this.approvalRequest);

    const recorder = coreFunctions.recorder;
    this.recorder = new QuellFunction(this, "Recorder", {
      entry: recorder.entry,
      description: recorder.description,
      timeout: Duration.seconds(recorder.timeoutSeconds),
      environment: { [EnvNames.tableName]: table.tableName },
      secrets: recorder.secrets,
      secretLookup,
    });
    table.grantReadWriteData(this.recorder);
    // The recorder also publishes incident events on Quell's bus: LogicStack wires it (publishesTo) once
    // the bus exists.
  }
}
