/** An entry of GET /rejections: one authenticated rejection, or a minute's tally of unauthenticated ones. */
export interface RejectionEntry {
  readonly kind: "authenticated" | "unauthenticated";
  readonly source: string;
  readonly status: number;
  readonly code: string;
  readonly message?: string;
  readonly bodySha256?: string;
  readonly bodyBytes?: number;
  readonly count?: number;
  readonly sample?: { readonly message: string; readonly bodySha256: string; readonly bodyBytes: number };
}

/** One refused request as GET /rejections accounts for it: a tally stands for `count` of them, by its sample. */
export interface KeptRefusal {
  readonly kind: RejectionEntry["kind"];
  readonly source: string;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly bodySha256: string;
  readonly bodyBytes: number;
}

const expand = (entry: RejectionEntry): KeptRefusal[] => {
  const { kind, source, status, code } = entry;
  if (entry.kind === "authenticated") {
    const { message = "", bodySha256 = "", bodyBytes = 0 } = entry;
    return [{ kind, source, status, code, message, bodySha256, bodyBytes }];
  }
  const sample = entry.sample ?? { message: "", bodySha256: "", bodyBytes: 0 };
  return Array.from({ length: entry.count ?? 0 }, () => ({ kind, source, status, code, ...sample }));
};

/**
 * Every refusal GET /rejections keeps for `days` (first pages of 200), tallies expanded. A tally's later counts
 * are written within a second of its first, so this asks again, for up to 4 s, until `atLeast` refusals show.
 */
export async function keptRefusals(
  read: (path: string) => Promise<Response>,
  days: readonly string[],
  atLeast = 0,
): Promise<KeptRefusal[]> {
  for (let attempt = 0; ; attempt++) {
    const kept: KeptRefusal[] = [];
    for (const day of days) {
      const page = (await (await read(`/rejections?day=${day}&limit=200`)).json()) as {
        rejections: RejectionEntry[];
      };
      kept.push(...page.rejections.flatMap(expand));
    }
    if (kept.length >= atLeast || attempt >= 40) return kept;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
