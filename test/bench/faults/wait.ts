/** Waiting, for the harness's polling loops. */
export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
