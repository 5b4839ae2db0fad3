import { nextDigestAt } from "../../functions/shadow-digest/core.js";

/**
 * The local stand-in for the AWS schedule of the shadow digest: `post` runs at each day's digest time (09:00 UTC)
 * while the runtime runs. A failure is logged and the next day tries again. Returns the stop function.
 */
export function startShadowDigestTimer(
  post: () => Promise<unknown>,
  log: (line: string) => void = (line) => console.error(line),
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      post()
        .catch((error: unknown) => log(`shadow digest not posted: ${String(error)}`))
        .finally(arm);
    }, nextDigestAt(new Date()).getTime() - Date.now());
    // A runtime with nothing else to do may stop: the digest does not hold it up.
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
