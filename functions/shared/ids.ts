import { randomBytes } from "node:crypto";

/** Time-ordered, URL-safe ids: 10 base32 characters of milliseconds, then 16 of randomness. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function encodeTime(ms: number): string {
  let out = "";
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = (ALPHABET[value % 32] as string) + out;
    value = Math.floor(value / 32);
  }
  return out;
}

function encodeRandom(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte % 32];
  return out;
}

export type IdGenerator = (prefix: "inc" | "alr" | "rej") => string;

export const newId: IdGenerator = (prefix) => `${prefix}_${encodeTime(Date.now())}${encodeRandom(16)}`;

export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
/** A clock's time in whole unix seconds (DynamoDB TTLs and windows). */
export const unixSeconds = (clock: Clock): number => Math.floor(clock().getTime() / 1000);
