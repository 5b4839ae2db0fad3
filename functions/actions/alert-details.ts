import * as z from "zod";

/**
 * What the finder actions that read an alert share: its `details` (`$.alert.details`, the flat keys a source
 * recorded, such as `assetId` or `evidence.agentArn`), taken as any record and read key by key, as text only.
 */

/** An action input's `details`: the alert's details, values left unchecked until read with `alertText`. */
export const AlertDetails = z.record(z.string(), z.unknown());
export type AlertDetails = z.infer<typeof AlertDetails>;

/** Reads the details' text: the string at a key; undefined when there is none or it is over `maxLength`. */
export const alertText =
  (maxLength: number) =>
  (details: AlertDetails, key: string): string | undefined => {
    const value = details[key];
    return typeof value === "string" && value.length <= maxLength ? value : undefined;
  };
