import { github } from "./github.js";
import type { SourceAdapter } from "./source.js";

/** Every webhook source. Adding one: its adapter file and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in payload type; each validates its own.
export const sources: Readonly<Record<string, SourceAdapter<any>>> = { github };

export const sourceNames = Object.keys(sources).sort();

export const sourceByName = (name: string) => (Object.hasOwn(sources, name) ? sources[name] : undefined);
