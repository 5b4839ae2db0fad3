import { playbooks } from "../../playbooks/index.js";
import type { CanonicalAlert } from "../shared/alert.js";

/** The first playbook that handles the alert's type. Richer rules (suppression, policy) come later. */
export const routeByType = (alert: CanonicalAlert): string | undefined =>
  playbooks.find((playbook) => (playbook.handles as readonly string[]).includes(alert.type))?.name;
