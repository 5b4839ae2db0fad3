import { github } from "./github.js";
import type { EventSourceAdapter, SourceAdapter } from "./source.js";

/** Every webhook source, by the name in `POST /alerts/{name}`. Adding one: its adapter and one line here. */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in payload type; each validates its own.
export const sources: Readonly<Record<string, SourceAdapter<any>>> = { github };

/** Every AWS source arriving through EventBridge, by its event `source`. Adding one: its adapter and one line. */
// biome-ignore lint/suspicious/noExplicitAny: adapters differ in envelope type; each validates its own.
export const eventSources: Readonly<Record<string, EventSourceAdapter<any>>> = {};

export const sourceNames = Object.keys(sources).sort();
export const eventSourceNames = Object.keys(eventSources).sort();

export const sourceByName = (name: string) => (Object.hasOwn(sources, name) ? sources[name] : undefined);
export const eventSourceByName = (name: string) =>
  Object.hasOwn(eventSources, name) ? eventSources[name] : undefined;
