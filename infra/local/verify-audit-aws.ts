import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { auditHeadsPrefix, type WitnessedHead } from "../../functions/shared/audit-chain.js";
import { createDocumentClient, IncidentStore } from "../../functions/shared/store.js";
import { type AuditSource, INCIDENTS_PAGE, incidentIdsOf } from "./verify-audit.js";

/**
 * A deployed Quell's chains, read with the usual AWS credentials: the incidents table (`--table`), and when
 * `bucket` is given, every head the audit exporter wrote there (functions/audit-export).
 */
export function awsAuditSource(
  table: string,
  bucket: string | undefined,
  s3 = new S3Client({}),
): AuditSource {
  const store = new IncidentStore(createDocumentClient(), table, () => new Date());
  return {
    incidentIds: () =>
      incidentIdsOf(async (cursor) => {
        const page = await store.listIncidents({ limit: INCIDENTS_PAGE, ...(cursor ? { cursor } : {}) });
        return { ids: page.items.map((incident) => incident.id), nextCursor: page.nextCursor };
      }),
    async chain(incidentId) {
      const chain = await store.auditChain(incidentId);
      return chain.entries.length > 0 || chain.head ? chain : undefined;
    },
    witnessed: (incidentId) => (bucket ? exportedHeads(s3, bucket, incidentId) : Promise.resolve([])),
  };
}

/**
 * Every head exported for the incident, oldest first (the keys sort by place): every version of every object, so
 * neither a delete marker nor a newer version put over a locked one can hide what was exported.
 */
export async function exportedHeads(
  s3: S3Client,
  bucket: string,
  incidentId: string,
): Promise<WitnessedHead[]> {
  const heads: WitnessedHead[] = [];
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: auditHeadsPrefix(incidentId),
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    for (const version of page.Versions ?? []) {
      if (!version.Key) continue;
      const source = `s3://${bucket}/${version.Key}${version.VersionId ? `?versionId=${version.VersionId}` : ""}`;
      const body = await s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: version.Key, VersionId: version.VersionId }),
      );
      const head = JSON.parse((await body.Body?.transformToString()) ?? "{}") as {
        seq?: unknown;
        hash?: unknown;
      };
      if (typeof head.seq !== "number" || typeof head.hash !== "string") {
        throw new Error(`${source} is not an exported head (seq and hash)`);
      }
      heads.push({ seq: head.seq, hash: head.hash, source });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return heads.sort((a, b) => a.seq - b.seq);
}
