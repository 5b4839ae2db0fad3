import { type SecretName, SecretNames, secretParameterVariable } from "../shared/env.js";
import { sourceByName, sourceNames } from "../sources/index.js";

/** An ingest route and the secret it authenticates with. */
export interface RouteSecret {
  readonly route: string;
  readonly secretName: SecretName;
}

/** Every ingest route, in the order people read them: the webhook sources by name, then `/events`. */
export const routeSecrets: readonly RouteSecret[] = [
  ...sourceNames.map((name) => ({
    route: `POST /alerts/${name}`,
    secretName: (sourceByName(name) as { secretName: SecretName }).secretName,
  })),
  { route: "POST /events", secretName: SecretNames.eventsToken },
];

/**
 * The routes whose secret is not configured (neither the value nor, on AWS, `<NAME>_PARAMETER` is set):
 * they refuse every request with 401 `not_configured`. Said at start-up, so a missing secret is found before
 * the first alert is refused.
 */
export function routesRefusingEverything(env: NodeJS.ProcessEnv = process.env): RouteSecret[] {
  return routeSecrets.filter(
    ({ secretName }) => !env[secretName] && !env[secretParameterVariable(secretName)],
  );
}

/** One line for people: which routes refuse everything, and the variable that would open each. */
export function refusingEverythingLine(refusing: readonly RouteSecret[]): string | undefined {
  if (refusing.length === 0) return undefined;
  const routes = refusing.map(({ route, secretName }) => `${route} (set ${secretName})`).join(", ");
  return `refusing everything until their secret is set (fail closed): ${routes}`;
}
