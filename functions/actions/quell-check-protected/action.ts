import * as z from "zod";
import {
  PROTECTED_PRINCIPALS_ENV,
  protectedPrincipalsFrom,
  protectionOf,
} from "../../shared/protected-principals.js";
import { defineAction } from "../contract.js";

/**
 * Read-only, and reads nothing but Quell's own settings: whether any of the principals and credentials a playbook is
 * about to ask to contain is protected (QUELL_PROTECTED_PRINCIPALS). The playbook then asks a human to contain it by
 * hand instead, and the card says why; the containing action refuses a protected principal on its own too.
 */
export const checkProtected = defineAction({
  name: "quell.check-protected",
  description: `Tell whether a principal or credential is protected (${PROTECTED_PRINCIPALS_ENV}; read-only).`,
  input: z
    .record(z.string().max(40), z.string().max(2048).nullable())
    .refine((input) => Object.keys(input).length <= 10, {
      message: "at most 10 principals",
    }),
  output: z.object({
    protected: z.boolean(),
    principal: z.string().nullable(),
    entry: z.string().nullable(),
  }),
  secrets: [],
  iam: [],
  reversible: true,
  blastRadius: { maxWrites: 0, low: true },
  timeoutSeconds: 10,
  async plan(input, { env }) {
    const protection = protectionOf(protectedPrincipalsFrom(env), Object.values(input));
    return {
      writes: [],
      output: {
        protected: protection !== null,
        principal: protection?.principal ?? null,
        entry: protection?.entry ?? null,
      },
    };
  },
});
