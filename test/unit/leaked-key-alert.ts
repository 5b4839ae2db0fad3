import { readFileSync } from "node:fs";
import { CanonicalAlert } from "../../functions/shared/alert.js";
import { github } from "../../functions/sources/github.js";

/**
 * The canonical alert Quell makes of GitHub's `secret_scanning_alert` webhook for the leaked OpenAI key (the
 * fixture), through the GitHub adapter, as GET /incidents/{id} returns it in `alerts`.
 */
export function leakedKeyAlert(): CanonicalAlert {
  const payload = JSON.parse(
    readFileSync(
      new URL("../fixtures/github/secret-scanning-alert-created-openai-key.json", import.meta.url),
      "utf8",
    ),
  );
  const receipt = {
    alertId: "alr_01m97f61emt8x47v47kf01rt3w",
    receivedAt: "2026-12-07T05:00:01.000Z",
    deliveryId: "d-42",
  };
  return CanonicalAlert.parse(github.normalize(github.schema.parse(payload), receipt)[0]);
}
