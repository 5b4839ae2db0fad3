import type { CanonicalAlert, EntityKind } from "../shared/alert.js";
import type { SubjectAsset } from "../shared/incident.js";
import type { Asset, AssetKind } from "./config.js";

/** Which inventory kind an alert entity names. Entities of other kinds (IPs, users, accounts) are not AI assets. */
const ASSET_KIND_OF_ENTITY = new Map<EntityKind, AssetKind>([
  ["model", "model"],
  ["guardrail", "guardrail"],
  ["agent", "agent"],
  ["access_key", "key"],
]);

export interface AssetRef {
  readonly kind: AssetKind;
  readonly id: string;
}

export interface Enrichment {
  /** Inventory entries the alert names. */
  readonly assets: readonly Asset[];
  /** AI assets the alert names that the inventory does not know: unknown AI is itself a finding. */
  readonly unknownAssets: readonly AssetRef[];
}

/** Looks assets up by kind and by every id they are known by. */
export class Inventory {
  private readonly byKind = new Map<AssetKind, Map<string, Asset>>();
  private readonly byAnyId = new Map<string, Asset>();

  constructor(assets: readonly Asset[]) {
    for (const asset of assets) {
      const byId = this.byKind.get(asset.kind) ?? new Map<string, Asset>();
      this.byKind.set(asset.kind, byId);
      for (const id of [asset.id, ...asset.aliases]) {
        byId.set(id, asset);
        if (!this.byAnyId.has(id)) this.byAnyId.set(id, asset);
      }
    }
  }

  /** The asset listed under exactly this id or alias, whatever its kind (the first listed wins). */
  findById(id: string): Asset | undefined {
    return this.byAnyId.get(id);
  }

  find(ref: AssetRef): Asset | undefined {
    const byId = this.byKind.get(ref.kind);
    if (!byId) return undefined;
    return byId.get(ref.id) ?? (ref.id.startsWith("arn:") ? byId.get(shortId(ref.id)) : undefined);
  }
}

/** A guardrail or agent ARN's last path segment, so `…:guardrail/q7x2k9m4w1ba` finds an entry listed by id. */
const shortId = (id: string) => id.slice(id.lastIndexOf("/") + 1);

/**
 * The inventory's entry for the asset an alert is about (`details.assetId`, which generic alerts carry), as
 * playbooks read it (`$.asset`): its environment decides how many approvers a change to it needs, and its
 * known-good version is a rollback target the alert cannot choose. Undefined when the inventory lists none.
 */
export function subjectAssetOf(
  alert: CanonicalAlert,
  inventory: Inventory,
): Omit<SubjectAsset, "deployments"> | undefined {
  const id = alert.details.assetId;
  const asset = typeof id === "string" ? inventory.findById(id) : undefined;
  if (!asset) return undefined;
  const { kind, ownerTeam, environment, criticality } = asset;
  return {
    listed: true,
    kind,
    id: asset.id,
    ownerTeam,
    environment,
    treatAsProduction: environment === "production",
    criticality,
    knownGood: asset.knownGood ?? null,
  };
}

/** The AI assets an alert names: its model, guardrail, agent and key entities, and its app. */
export function assetRefsOf(alert: CanonicalAlert): AssetRef[] {
  const refs: AssetRef[] = [];
  for (const entity of alert.entities) {
    const kind = ASSET_KIND_OF_ENTITY.get(entity.kind);
    if (kind) addRef(refs, kind, entity.id);
  }
  const app = alert.details.app;
  if (typeof app === "string" && app.length > 0) addRef(refs, "app", app);
  return refs;
}

function addRef(refs: AssetRef[], kind: AssetKind, id: string) {
  for (const ref of refs) if (ref.kind === kind && ref.id === id) return;
  refs.push({ kind, id });
}

/**
 * Enrich an alert from the inventory. An access key the inventory does not list is not reported as unknown
 * AI: keys are named by alerts about any AWS principal, and most are not AI assets.
 */
export function enrich(alert: CanonicalAlert, inventory: Inventory): Enrichment {
  const assets: Asset[] = [];
  const unknownAssets: AssetRef[] = [];
  for (const ref of assetRefsOf(alert)) {
    const asset = inventory.find(ref);
    if (asset) {
      if (!assets.includes(asset)) assets.push(asset);
    } else if (ref.kind !== "key") unknownAssets.push(ref);
  }
  return { assets, unknownAssets };
}
