import type { Clock } from "../../functions/shared/ids.js";
import { createDocumentClient, IncidentStore } from "../../functions/shared/store.js";
import { TriageStore } from "../../functions/triage/triage-store.js";
import { type LocalDynamo, startLocalDynamo } from "../../infra/local/dynamodb.js";

const TABLE = "quell-incidents";
const ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
} as const;

export interface LocalStore {
  /** An IncidentStore on DynamoDB Local whose clock is `clock`. */
  store(clock: Clock): IncidentStore;
  /** Triage's claims on the same table. */
  triageStore(clock: Clock): TriageStore;
  stop(): Promise<void>;
}

/**
 * A real DynamoDB Local (in memory) and IncidentStores on it. createDocumentClient reads its endpoint and
 * credentials from the environment, so they are set here and restored by stop().
 */
export async function startLocalStore(): Promise<LocalStore> {
  const dynamo: LocalDynamo = await startLocalDynamo({
    credentials: { accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY },
  });
  const names = [...Object.keys(ENV), "AWS_ENDPOINT_URL_DYNAMODB"];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  Object.assign(process.env, ENV, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
  const db = createDocumentClient();
  return {
    store: (clock) => new IncidentStore(db, TABLE, clock),
    triageStore: (clock) => new TriageStore(db, TABLE, clock),
    async stop() {
      db.destroy();
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await dynamo.stop();
    },
  };
}
