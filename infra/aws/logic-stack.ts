import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { EnvNames } from "../../functions/shared/env.js";
import { UNDO_MACHINE } from "../../playbooks/undo.js";
import type { QuellConfig } from "./config.js";
import { ActionFunctions } from "./constructs/action-functions.js";
import { AlertIntake } from "./constructs/alert-intake.js";
import { auditBucketName } from "./constructs/audit-bucket.js";
import { AuditExport } from "./constructs/audit-export.js";
import { ExecutionWatch } from "./constructs/execution-watch.js";
import { IncidentNotifier } from "./constructs/incident-notifier.js";
import { PlaybookMachines } from "./constructs/playbook-machines.js";
import { PlaybookTasks } from "./constructs/playbook-tasks.js";
import { SelfMonitoring } from "./constructs/self-monitoring.js";
import { ShadowDigest } from "./constructs/shadow-digest.js";
import { SlackInteractions } from "./constructs/slack-interactions.js";
import type { DataStack } from "./data-stack.js";
import { pascal } from "./paths.js";

export interface LogicStackProps extends StackProps {
  readonly config: QuellConfig;
  readonly data: DataStack;
}

/** Everything stateless: the bus, the functions and the playbook state machines. */
export class LogicStack extends Stack {
  readonly actions: ActionFunctions;
  readonly tasks: PlaybookTasks;
  readonly playbooks: PlaybookMachines;
  readonly intake: AlertIntake;
  readonly slack: SlackInteractions;
  readonly notifier: IncidentNotifier;
  readonly executionWatch: ExecutionWatch;
  readonly shadowDigest: ShadowDigest;
  readonly auditExport: AuditExport;
  readonly monitoring: SelfMonitoring;

  constructor(scope: Construct, id: string, props: LogicStackProps) {
    super(scope, id, props);
    // Strong references (Export/Import): the data stack cannot be deleted, nor a table or secret replaced,
    // while this stack still uses it.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { config, data } = props;
    const table = data.tables.incidents;
    const secretLookup = data.secrets;

    this.actions = new ActionFunctions(this, "Actions", {
      idempotencyTable: data.tables.idempotency,
      incidentsTable: table,
      secretLookup,
      dryRun: config.dryRun,
      environmentName: config.environmentName,
      protectedPrincipals: config.protectedPrincipals,
      documentQuarantineBucket: config.documentQuarantineBucket,
      providerUrls: config.litellmBaseUrl ? { [EnvNames.litellmBaseUrl]: config.litellmBaseUrl } : {},
    });
    this.tasks = new PlaybookTasks(this, "PlaybookTasks", { table, secretLookup, config });
    this.playbooks = new PlaybookMachines(this, "Playbooks", { actions: this.actions, tasks: this.tasks });
    const machines = this.playbooks.machines;
    // Triage starts playbooks; only the Slack app (a responder's undo) starts the undo machine.
    const playbookMachines = machines.filter((machine) => machine.name !== UNDO_MACHINE);
    this.intake = new AlertIntake(this, "Intake", {
      table,
      secretLookup,
      config,
      machines: playbookMachines,
    });
    const bus = this.intake.bus;
    // The recorder is built before the bus (triage needs the machines, which need the recorder), so it is
    // wired to the bus here.
    this.tasks.recorder.publishesTo(bus);
    this.slack = new SlackInteractions(this, "SlackInteractions", {
      table,
      secretLookup,
      config,
      machines,
      bus,
    });
    this.notifier = new IncidentNotifier(this, "Notifier", { table, secretLookup, config, bus });
    // An execution that ends outside its own failure handling leaves its incident interrupted, not running.
    this.executionWatch = new ExecutionWatch(this, "ExecutionWatch", { table, secretLookup, machines, bus });
    // Once a day, what shadow playbooks would have done, in Slack.
    this.shadowDigest = new ShadowDigest(this, "ShadowDigest", { table, secretLookup, config });
    // Each incident's audit chain head, from the table's stream to the Object Lock bucket.
    this.auditExport = new AuditExport(this, "AuditExport", {
      table,
      bucketName: auditBucketName(this, config.environmentName),
      secretLookup,
    });
    // Last: it finds every function, queue and state machine built above by walking the construct tree.
    this.monitoring = new SelfMonitoring(this, "Monitoring", { alarmEmails: config.alarmEmails });

    new CfnOutput(this, "IngestUrl", {
      value: this.intake.ingestUrl.url,
      description: "Alert webhooks: POST {url}alerts/{source}",
    });
    new CfnOutput(this, "SlackInteractionsUrl", {
      value: this.slack.url.url,
      description: "Slack app Interactivity Request URL",
    });
    new CfnOutput(this, "EventBusName", { value: this.intake.bus.eventBusName });
    for (const machine of machines) {
      new CfnOutput(this, `Playbook${pascal(machine.name)}Arn`, {
        value: machine.stateMachine.stateMachineArn,
        description: `State machine ${machine.name}`,
      });
    }
  }
}
