import { createActionContext } from "../../functions/actions/run.js";
import { EnvNames, SecretNames } from "../../functions/shared/env.js";
import {
  type LiteLLMCustomerSeed,
  type LiteLLMKeySeed,
  type LiteLLMStandin,
  startLiteLLMStandin,
} from "../../infra/local/standins/litellm.js";
import { recordingJournal } from "./action-context-doubles.js";

export const MASTER_KEY = "sk-litellm-test-master-key";

/** The LiteLLM stand-in, and the real action context pointed at it (base URL and master key by reference). */
export async function startGateway(seed: { keys?: LiteLLMKeySeed[]; customers?: LiteLLMCustomerSeed[] }) {
  const gateway: LiteLLMStandin = await startLiteLLMStandin({
    masterKey: MASTER_KEY,
    keys: seed.keys ?? [],
    customers: seed.customers ?? [],
  });
  const context = createActionContext(
    { [EnvNames.litellmBaseUrl]: `${gateway.url}/`, [SecretNames.litellmMasterKey]: MASTER_KEY },
    recordingJournal().journal,
  );
  /** What the gateway received, as `METHOD /path?query` and body, in order. */
  const calls = () =>
    gateway.requests.map(({ method, path, query, body }) => ({
      call: `${method} ${path}${Object.keys(query).length > 0 ? `?${new URLSearchParams(query)}` : ""}`,
      ...(body === undefined ? {} : { body }),
    }));
  /** Change the gateway as a person would, through its own API (not through Quell). */
  const byHand = (path: string, body: unknown) =>
    fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return { gateway, context, calls, byHand };
}
