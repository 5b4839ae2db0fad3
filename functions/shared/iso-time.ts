/**
 * `date.toISOString()`, which costs about 0.4 µs: ingest stamps every alert with it. Dates within the same
 * second share everything up to the milliseconds, so that part is kept from the last call and only the
 * milliseconds are written. Dates before 1970 or after 9999 (other formats) are left to toISOString.
 */
let lastSecond = Number.NaN;
let lastPrefix = "";

const LAST_FOUR_DIGIT_YEAR = Date.UTC(10_000, 0, 1);

export function isoTimestamp(date: Date): string {
  const time = date.getTime();
  if (!(time >= 0 && time < LAST_FOUR_DIGIT_YEAR)) return date.toISOString();
  const second = Math.floor(time / 1000);
  if (second !== lastSecond) {
    lastPrefix = date.toISOString().slice(0, 20); // "2026-11-25T03:12:07."
    lastSecond = second;
  }
  const millis = time - second * 1000;
  return `${lastPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}
