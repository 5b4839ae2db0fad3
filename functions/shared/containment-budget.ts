/**
 * The containment budget (`QUELL_CONTAINMENTS_PER_HOUR`, the settings' `containmentsPerHour`): at most this many
 * containments across Quell in any hour before every further one needs a second approver. A storm of alerts (or
 * a rule gone wrong) then cannot contain half an estate on one tired click each. Unset: no budget.
 */
export const CONTAINMENT_BUDGET_ENV = "QUELL_CONTAINMENTS_PER_HOUR";

/** The budget the environment sets, or null when it sets none. */
export function containmentBudgetFrom(env: Readonly<Record<string, string | undefined>>): number | null {
  const value = Number(env[CONTAINMENT_BUDGET_ENV] ?? "");
  return Number.isInteger(value) && value > 0 ? value : null;
}
