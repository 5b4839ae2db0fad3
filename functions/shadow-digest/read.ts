import type { Incident } from "../shared/incident.js";
import type { IncidentStore } from "../shared/store.js";
import { type ShadowIncidentInput, type ShadowReport, shadowReport } from "./report.js";

/** The most shadow incidents one report reads (each costs one query for its timeline). */
export const SHADOW_REPORT_MAX_INCIDENTS = 200;
/** Days a report may look back: `shadow-report --days N`. */
export const MAX_SHADOW_REPORT_DAYS = 90;
const DAY_MS = 86_400_000;
const PAGE = 200;

export type ShadowReportStore = Pick<IncidentStore, "listIncidents" | "getTimeline">;

/** `--days N`: a whole number of days from 1 to MAX_SHADOW_REPORT_DAYS (default 1), else undefined. */
export function parseShadowReportDays(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === "") return 1;
  if (!/^\d{1,3}$/.test(value)) return undefined;
  const days = Number(value);
  return days >= 1 && days <= MAX_SHADOW_REPORT_DAYS ? days : undefined;
}

/**
 * The shadow incidents opened in the last `days` (newest first, page by page until an older one), each with its
 * timeline, composed into the report. At most `maxIncidents` are read; `cut` says when the window held more.
 */
export async function readShadowReport(
  store: ShadowReportStore,
  days: number,
  now: Date,
  maxIncidents = SHADOW_REPORT_MAX_INCIDENTS,
): Promise<ShadowReport & { readonly cut: boolean }> {
  const since = new Date(now.getTime() - days * DAY_MS);
  const shadows: Incident[] = [];
  let cursor: string | undefined;
  let cut = false;
  do {
    const page = await store.listIncidents({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    const older = page.items.findIndex((incident) => Date.parse(incident.createdAt) < since.getTime());
    const reached = older === -1 ? page.items : page.items.slice(0, older);
    shadows.push(...reached.filter((incident) => incident.shadow === true));
    cursor = older === -1 ? page.nextCursor : undefined;
    if (shadows.length > maxIncidents) {
      cut = true;
      cursor = undefined;
    }
  } while (cursor);
  const read = shadows.slice(0, maxIncidents);
  const withTimelines: ShadowIncidentInput[] = [];
  for (const incident of read)
    withTimelines.push({ ...incident, timeline: await store.getTimeline(incident.id) });
  return { ...shadowReport(withTimelines, since, now), cut };
}
