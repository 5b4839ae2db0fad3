import type { DeadLetterSummary } from "./bus.js";

/** The dead-letter routes over HTTP, with the read token: what `npm run quell -- dead-letters | redrive` calls. */
export class DeadLettersClient {
  constructor(
    private readonly url: string,
    private readonly readToken: string,
  ) {}

  private headers(extra: Record<string, string> = {}) {
    return { authorization: `Bearer ${this.readToken}`, ...extra };
  }

  /** One page of dead letters, oldest first. */
  async list(page: { limit?: number; cursor?: string } = {}) {
    const query = new URLSearchParams();
    if (page.limit !== undefined) query.set("limit", String(page.limit));
    if (page.cursor !== undefined) query.set("cursor", page.cursor);
    const response = await fetch(`${this.url}/dead-letters${query.size > 0 ? `?${query}` : ""}`, {
      headers: this.headers(),
    });
    return (await answer(response, "GET /dead-letters")) as {
      deadLetters: DeadLetterSummary[];
      nextCursor?: string;
      more: boolean;
    };
  }

  /** Deliver dead letters again: by id, or all of them. */
  async redrive(ids: readonly string[] | "all") {
    const response = await fetch(`${this.url}/dead-letters/redrive`, {
      method: "POST",
      headers: this.headers({ "content-type": "application/json" }),
      body: JSON.stringify(ids === "all" ? { all: true } : { ids }),
    });
    return (await answer(response, "POST /dead-letters/redrive")) as {
      redriven: string[];
      unknown: string[];
    };
  }
}

async function answer(response: Response, what: string): Promise<unknown> {
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (response.ok) return body;
  const hint =
    response.status === 401 ? " (the read token: QUELL_READ_TOKEN, else .quell/local-secrets.json)" : "";
  throw new Error(
    `${what} answered ${response.status}: ${body.error?.message ?? response.statusText}${hint}`,
  );
}

/** A dead letter in one line, as the CLI prints it. */
export const deadLetterLine = (letter: DeadLetterSummary) =>
  [
    letter.id,
    letter.at,
    `${letter.source} / ${letter.detailType} → ${letter.rule}`,
    `${letter.attempts} attempts`,
    ...(letter.alertId ? [`alert ${letter.alertId}`] : []),
    ...(letter.incidentId ? [`incident ${letter.incidentId}`] : []),
    letter.error,
  ].join("  ");

/**
 * `dead-letters [--limit n] [--cursor c]` lists them; `redrive <id>… | --all` delivers them again. Returns the
 * exit code: 1 when a redrive named an id that is not a dead letter.
 */
export async function deadLetterCommand(
  command: "dead-letters" | "redrive",
  args: { ids: readonly string[]; all?: boolean; limit?: string; cursor?: string },
  client: DeadLettersClient,
): Promise<number> {
  if (command === "dead-letters") {
    const page = await client.list({
      ...(args.limit ? { limit: Number(args.limit) } : {}),
      ...(args.cursor ? { cursor: args.cursor } : {}),
    });
    if (page.deadLetters.length === 0) console.log("No dead letters.");
    for (const letter of page.deadLetters) console.log(deadLetterLine(letter));
    if (page.nextCursor) console.log(`more: npm run quell -- dead-letters --cursor ${page.nextCursor}`);
    return 0;
  }
  if (args.all === args.ids.length > 0) {
    console.error("redrive needs dead-letter ids (npm run quell -- dead-letters) or --all, not both");
    return 1;
  }
  const result = await client.redrive(args.all ? "all" : args.ids);
  console.log(`redriven: ${result.redriven.length}${result.redriven.map((id) => `\n  ${id}`).join("")}`);
  if (result.unknown.length > 0) console.error(`not dead letters: ${result.unknown.join(", ")}`);
  return result.unknown.length > 0 ? 1 : 0;
}
