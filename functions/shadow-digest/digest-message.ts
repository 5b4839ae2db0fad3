import { escapeMrkdwn, plainText } from "../shared/mrkdwn.js";
import { type ShadowIncidentReport, type ShadowReport, type ShadowStep, wouldAskWords } from "./report.js";

/** Slack takes 50 blocks a message and 3,000 characters a section; the digest stays under both. */
const MAX_SECTIONS = 45;
const MAX_SECTION_CHARS = 2900;

const stepWords = (step: ShadowStep): string => {
  const name = escapeMrkdwn(step.action || step.step, 80);
  if (step.result === "failed") return `${name} (failed)`;
  if (step.writes.length === 0) return `${name} (read only)`;
  return `${name}: ${step.writes.map((write) => `\`${escapeMrkdwn(write, 200)}\``).join(", ")}`;
};

/** One incident as mrkdwn: every value escaped (the title is alert text, hostile by default). */
function incidentLines(incident: ShadowIncidentReport): string {
  const head =
    `• *${escapeMrkdwn(incident.title, 200)}* \`${escapeMrkdwn(incident.id, 64)}\` ` +
    `${escapeMrkdwn(incident.type, 40)} · ${escapeMrkdwn(incident.severity, 20)} · ${escapeMrkdwn(incident.source, 40)}`;
  const steps = incident.steps.length > 0 ? incident.steps.map(stepWords).join(" → ") : "none yet";
  const asks = incident.wouldAsk.map(
    (ask) => `would ask ${escapeMrkdwn(wouldAskWords(ask), 300)}: ${escapeMrkdwn(ask.title, 150)}`,
  );
  const end = incident.outcome
    ? escapeMrkdwn(incident.outcome, 300)
    : `still ${escapeMrkdwn(incident.status)}`;
  return [head, `    steps: ${steps}`, ...asks.map((ask) => `    ${ask}`), `    ${end}`].join("\n");
}

/** Lines packed into sections of at most MAX_SECTION_CHARS; a line longer than that is cut. */
function sections(lines: readonly string[]): string[] {
  const packed: string[] = [];
  let current = "";
  for (const line of lines.map((text) => text.slice(0, MAX_SECTION_CHARS))) {
    if (current && current.length + line.length + 1 > MAX_SECTION_CHARS) {
      packed.push(current);
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) packed.push(current);
  return packed;
}

/**
 * The daily digest of shadow playbooks as a Slack message: per playbook, per incident, the steps and the writes
 * they planned, whom each approval would have asked, and how the run would have ended. Nobody is mentioned.
 */
export function shadowDigestMessage(report: ShadowReport & { readonly cut?: boolean }): {
  text: string;
  blocks: unknown[];
} {
  const text = plainText(
    `Shadow playbooks since ${report.since}: ${report.incidents} incident(s) handled in shadow, nothing sent, nobody asked`,
    300,
  );
  const lines = report.playbooks.flatMap((playbook) => [
    `*${escapeMrkdwn(playbook.playbook, 80)}* (shadow): ${playbook.incidents.length} incident(s), ` +
      `${playbook.plannedWrites} write(s) planned, ${playbook.wouldAsk} approval(s) would have been asked`,
    ...playbook.incidents.map(incidentLines),
  ]);
  const packed = sections(lines);
  const shown = packed.slice(0, MAX_SECTIONS);
  const more =
    packed.length > shown.length || report.cut
      ? ["_More than fits here: `npm run quell -- shadow-report` (or GET /shadow-report) lists every one._"]
      : [];
  const footer =
    "Promote a playbook by setting its `mode` to `enforce` in the triage configuration: the next matching incident asks for real.";
  return {
    text,
    blocks: [
      { type: "header", text: { type: "plain_text", text: "Shadow playbooks: what they would have done" } },
      { type: "context", elements: [{ type: "mrkdwn", text: escapeMrkdwn(text, 300) }] },
      ...[...shown, ...more].map((section) => ({ type: "section", text: { type: "mrkdwn", text: section } })),
      { type: "context", elements: [{ type: "mrkdwn", text: footer }] },
    ],
  };
}
