import { MAX_SHADOW_REPORT_DAYS, parseShadowReportDays } from "../../functions/shadow-digest/read.js";
import { type ShadowReport, type ShadowStep, wouldAskWords } from "../../functions/shadow-digest/report.js";

/** What `shadow-report` reads of the local API (QuellClient): GET /shadow-report?days=N. */
export interface ShadowReportSource {
  shadowReport(days: number): Promise<(ShadowReport & { readonly cut?: boolean }) | undefined>;
}

/** Alert text as a terminal shows it: no control characters (escape sequences). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const printable = (text: string) => text.replace(/[\u0000-\u001F\u007F-\u009F]/g, " ");

const stepLines = (step: ShadowStep): string[] => {
  const name = printable(step.action || step.step);
  if (step.result === "failed") return [`    step ${name}: failed (as it would have)`];
  if (step.writes.length === 0) return [`    step ${name}: read only`];
  return [
    `    step ${name}: ${step.writes.length} write(s) planned, none sent`,
    ...step.writes.map((write) => `      ${printable(write)}`),
  ];
};

/** The report as the terminal shows it: per playbook, per incident, steps, planned writes and would-asks. */
export function formatShadowReport(report: ShadowReport & { readonly cut?: boolean }, days: number): string {
  const head = `Shadow playbooks, incidents opened since ${report.since} (last ${days} day(s)): ${report.incidents}`;
  if (report.incidents === 0) return `${head}. No shadow playbook matched an incident.`;
  const lines = report.playbooks.flatMap((playbook) => [
    "",
    `${printable(playbook.playbook)} (shadow): ${playbook.incidents.length} incident(s), ${playbook.plannedWrites} write(s) planned, ${playbook.wouldAsk} approval(s) would have been asked`,
    ...playbook.incidents.flatMap((incident) => [
      `  ${incident.id}  ${incident.createdAt}  ${printable(incident.type)} ${printable(incident.severity)}  ${printable(incident.title)}`,
      ...incident.steps.flatMap(stepLines),
      ...incident.wouldAsk.map(
        (ask) => `    would ask ${printable(wouldAskWords(ask))}: ${printable(ask.title)} (nobody was asked)`,
      ),
      `    ${incident.outcome ? printable(incident.outcome) : `still ${incident.status}`}`,
    ]),
  ]);
  const cut = report.cut ? ["", "(more incidents than one report reads: pass fewer --days)"] : [];
  return [head, ...lines, ...cut].join("\n");
}

/** `npm run quell -- shadow-report [--days N]`: the report as text, or a usage error. */
export async function shadowReportCommand(
  source: ShadowReportSource,
  daysText: string | undefined,
): Promise<{ code: number; output: string }> {
  const days = parseShadowReportDays(daysText);
  if (days === undefined) {
    return {
      code: 1,
      output: `shadow-report takes --days from 1 to ${MAX_SHADOW_REPORT_DAYS} (default 1): npm run quell -- shadow-report [--days N]`,
    };
  }
  const report = await source.shadowReport(days);
  if (!report) return { code: 1, output: "this Quell serves no GET /shadow-report (an older runtime?)" };
  return { code: 0, output: formatShadowReport(report, days) };
}
