/**
 * The promises a run is checked against, through the HTTP API and the stand-ins' records only:
 *   accepted-kept           every alert answered 202 is stored on an incident, or listed unmatched with a reason
 *   decided-before-write    no mitigation write reached a provider without an `approval_decided` (approved, or by
 *                           policy `auto`) on its incident, recorded before the write
 *   one-write-per-approval  no provider applied the same write twice for one approval (an unapplied retry is fine)
 *   settled                 every incident is terminal, or awaiting approval with a pending approval whose timer is live
 * and two that the issue's findings name:
 *   one-incident-per-alert  redeliveries and late deliveries of one alert (older, by the source's clock, than what
 *                           Quell already has) open no second incident (#14)
 *   runtime-owns-children   after a restart exactly one database serves the data directory (#7)
 *   decision-takes-effect   an Approve or Deny that Slack delivered (answered 200) on a pending approval with a card
 *                           leaves it decided, or its incident over: never pending as if nobody clicked (#6)
 */
import type { RecordedRequest } from "../../../infra/local/standins/server.js";
import { isProviderWrite, matcherFor, matches, type RequestMatcher, WRITE_OPERATIONS } from "./operations.js";
import type { IncidentView } from "./quell-api.js";
import type { RunContext, RunRecord } from "./run.js";
import { settlementOf } from "./settled.js";

export const INVARIANTS = [
  "accepted-kept",
  "decided-before-write",
  "one-write-per-approval",
  "settled",
  "one-incident-per-alert",
  "runtime-owns-children",
  "decision-takes-effect",
] as const;
export type InvariantName = (typeof INVARIANTS)[number];

export interface Violation {
  readonly invariant: InvariantName;
  readonly message: string;
}

/** A provider write the stand-ins recorded, with whether the provider applied it (its handler answered 2xx). */
export interface ProviderWrite {
  readonly target: string;
  readonly request: RecordedRequest;
  readonly applied: boolean;
  readonly operation: string;
}

/** The writes of the run's subject recorded at the providers, in order. */
export function writesOf(ctx: RunContext, record: RunRecord): ProviderWrite[] {
  const writes: ProviderWrite[] = [];
  for (const operation of WRITE_OPERATIONS) {
    const matcher = matcherFor(operation, record.plan.subject);
    if (!matcher) continue;
    writes.push(...writesMatching(ctx, matcher, operation));
  }
  return writes.sort((a, b) => a.request.at.getTime() - b.request.at.getTime());
}

function writesMatching(ctx: RunContext, matcher: RequestMatcher, operation: string): ProviderWrite[] {
  const standin = ctx.world.standinFor(matcher.target);
  const applied = new Set(
    standin.answered
      .filter((answer) => answer.handledStatus !== undefined && answer.handledStatus < 300)
      .map((answer) => answer.request),
  );
  return standin.requests
    .filter((request) => matches(matcher, request))
    .map((request) => ({ target: matcher.target, request, applied: applied.has(request), operation }));
}

const describeWrite = (write: ProviderWrite) =>
  `${write.operation} (${write.request.method} ${write.request.path}) at ${write.request.at.toISOString()}`;

/** The decision that allows `write`: an approved approval whose approval_decided was recorded before it. */
function decisionFor(incidents: readonly IncidentView[], write: ProviderWrite): string | undefined {
  for (const incident of incidents) {
    for (const approval of incident.approvals) {
      if (approval.status !== "approved") continue;
      const decided = incident.timeline.find(
        (event) =>
          event.kind === "approval_decided" &&
          event.detail?.approvalId === approval.approvalId &&
          (event.detail?.decision === "approved" || event.detail?.policy === "auto"),
      );
      if (decided && Date.parse(decided.at) <= write.request.at.getTime()) return approval.approvalId;
    }
  }
  return undefined;
}

async function keptAlerts(ctx: RunContext, record: RunRecord): Promise<Violation[]> {
  const stored = new Set(record.incidents.flatMap((incident) => incident.alerts.map((alert) => alert.id)));
  const violations: Violation[] = [];
  for (const id of new Set([...record.accepted, ...record.replays])) {
    if (stored.has(id)) continue;
    const reason = await ctx.unmatched.reasonOf(id);
    if (reason === undefined) {
      violations.push({
        invariant: "accepted-kept",
        message: `alert ${id} was answered 202 but is on none of the run's incidents (${record.incidents.map((i) => i.id).join(", ") || "none"}) and not listed unmatched`,
      });
    } else if (reason === "") {
      violations.push({
        invariant: "accepted-kept",
        message: `alert ${id} is listed unmatched without a reason`,
      });
    }
  }
  return violations;
}

function checkWrites(ctx: RunContext, record: RunRecord): Violation[] {
  const violations: Violation[] = [];
  const writes = writesOf(ctx, record);
  for (const write of writes) {
    if (decisionFor(record.incidents, write)) continue;
    const approvals = record.incidents.flatMap((incident) =>
      incident.approvals.map((a) => `${a.approvalId} ${a.status}`),
    );
    violations.push({
      invariant: "decided-before-write",
      message: `${describeWrite(write)} with no approved decision recorded before it (approvals: ${approvals.join(", ") || "none"})`,
    });
  }
  const byOperation = new Map<string, ProviderWrite[]>();
  for (const write of writes.filter((candidate) => candidate.applied)) {
    byOperation.set(write.operation, [...(byOperation.get(write.operation) ?? []), write]);
  }
  for (const [operation, applied] of byOperation) {
    if (applied.length < 2) continue;
    violations.push({
      invariant: "one-write-per-approval",
      message: `${operation} applied ${applied.length} times: ${applied.map((write) => write.request.at.toISOString()).join(", ")}`,
    });
  }
  return violations;
}

function checkSettled(record: RunRecord, now = Date.now()): Violation[] {
  return record.incidents
    .filter((incident) => settlementOf(incident, now) === "unsettled")
    .map((incident) => ({
      invariant: "settled" as const,
      message: `incident ${incident.id} is ${incident.status} (approvals: ${
        incident.approvals.map((a) => `${a.approvalId} ${a.status} until ${a.timeoutAt ?? "?"}`).join(", ") ||
        "none"
      }; last event ${incident.timeline.at(-1)?.kind ?? "none"})`,
    }));
}

function checkOneIncident(record: RunRecord): Violation[] {
  if (record.incidents.length <= 1) return [];
  return [
    {
      invariant: "one-incident-per-alert",
      message: `one alert's redeliveries and late deliveries opened ${record.incidents.length} incidents: ${record.incidents
        .map((incident) => `${incident.id} (${incident.status})`)
        .join(", ")}`,
    },
  ];
}

function checkDecisionTookEffect(record: RunRecord): Violation[] {
  if (!record.decided) return [];
  const incident = record.incidents.find((candidate) =>
    candidate.approvals.some((approval) => approval.approvalId === record.decided),
  );
  const approval = incident?.approvals.find((candidate) => candidate.approvalId === record.decided);
  if (!incident || !approval || approval.status !== "pending" || settlementOf(incident) === "terminal")
    return [];
  return [
    {
      invariant: "decision-takes-effect",
      message: `${record.plan.decision} on ${approval.approvalId} was answered 200, yet the approval is still pending and incident ${incident.id} ${incident.status} (timeline: ${incident.timeline
        .slice(-4)
        .map((event) => `${event.kind}: ${event.summary}`)
        .join(" | ")})`,
    },
  ];
}

/** Every invariant for one run, on its incidents as last read (`record.incidents`). */
export async function checkRun(ctx: RunContext, record: RunRecord): Promise<Violation[]> {
  return [
    ...record.violations,
    ...(await keptAlerts(ctx, record)),
    ...checkWrites(ctx, record),
    ...checkSettled(record),
    ...checkOneIncident(record),
    ...checkDecisionTookEffect(record),
  ];
}

/** Provider writes no run's subject accounts for: nothing allowed them. */
export function unattributedWrites(ctx: RunContext, records: readonly RunRecord[]): Violation[] {
  const attributed = new Set<RecordedRequest>();
  for (const record of records) for (const write of writesOf(ctx, record)) attributed.add(write.request);
  const violations: Violation[] = [];
  for (const [target, standin] of Object.entries(ctx.world.providers)) {
    for (const request of standin.requests) {
      if (attributed.has(request) || !isProviderWrite(target, request)) continue;
      violations.push({
        invariant: "decided-before-write",
        message: `${target} ${request.method} ${request.path} at ${request.at.toISOString()} belongs to no run's approval`,
      });
    }
  }
  return violations;
}
