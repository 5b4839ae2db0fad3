/**
 * Quell's actions act on AWS under a role session named after the incident they serve, so the CloudTrail
 * events they cause (Quell's own UpdateGuardrail, say) can be recognised and linked back to that incident
 * instead of being triaged as new attacks. STS session names allow `[\w+=,.@-]`, at most 64 characters.
 */

export interface ActionSessionNaming {
  /** Names of the roles Quell's actions assume start with this (in every account they act in). */
  readonly rolePrefix: string;
  /** Their session names are this prefix and the incident id. */
  readonly sessionPrefix: string;
}

export const DEFAULT_ACTION_SESSION_NAMING: ActionSessionNaming = {
  rolePrefix: "quell-action-",
  sessionPrefix: "quell-",
};

/**
 * The name of an action's own role in a deployment (`quell-action-<environment>-<action folder>`); IAM role
 * names are at most 64 characters.
 */
export const actionRoleName = (
  environmentName: string,
  actionFolder: string,
  naming = DEFAULT_ACTION_SESSION_NAMING,
) => `${naming.rolePrefix}${environmentName}-${actionFolder}`.slice(0, 64);

/** The role session name an action uses while serving an incident. */
export const actionSessionName = (incidentId: string, naming = DEFAULT_ACTION_SESSION_NAMING) =>
  `${naming.sessionPrefix}${incidentId}`.slice(0, 64);

const ASSUMED_ROLE = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;
const INCIDENT_ID = /^inc_[a-z0-9]{10,40}$/;

/**
 * The incident a principal ARN's session serves, when it is one of Quell's action sessions. Both the role and
 * the session name must match: anyone who can assume some role can choose a session name that looks like
 * Quell's, and must not be able to hide an attack that way.
 */
export function incidentOfSession(principalArn: string, naming = DEFAULT_ACTION_SESSION_NAMING) {
  const match = ASSUMED_ROLE.exec(principalArn);
  const [role, session] = [match?.[1], match?.[2]];
  if (!role?.startsWith(naming.rolePrefix) || !session?.startsWith(naming.sessionPrefix)) return undefined;
  const incidentId = session.slice(naming.sessionPrefix.length);
  return INCIDENT_ID.test(incidentId) ? incidentId : undefined;
}
