import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";

/**
 * Small JSON records kept by name: the local bus's pending events and dead letters, and the local Step
 * Functions' executions. On disk, `write` returns only once the record is on stable storage (written to a
 * temporary file, fsynced, renamed over the old one, the directory fsynced), so a record written before an
 * answer survives a `kill -9` or a power cut, and a reader never sees half a record. In memory (tests without a
 * data directory) the same calls keep them in a map: the callers' code path is the same.
 */
export interface DurableRecords<T> {
  write(name: string, record: T): void;
  remove(name: string): void;
  read(name: string): T | undefined;
  /** Every record's name, in name order. */
  names(): string[];
}

/** Record names are file names: letters, digits, `.`, `_` and `-`, never a path. */
const RECORD_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

function checkName(name: string): void {
  if (!RECORD_NAME.test(name) || name.endsWith(".tmp")) throw new Error(`not a record name: ${name}`);
}

export function memoryRecords<T>(): DurableRecords<T> {
  const records = new Map<string, string>();
  return {
    write(name, record) {
      checkName(name);
      records.set(name, JSON.stringify(record));
    },
    remove(name) {
      records.delete(name);
    },
    read(name) {
      const text = records.get(name);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    names: () => [...records.keys()].sort(),
  };
}

export function fileRecords<T>(directory: string): DurableRecords<T> {
  const dir = resolve(directory);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A temporary file left by a crash mid-write never became a record.
  for (const name of readdirSync(dir)) if (name.endsWith(".tmp")) rmSync(join(dir, name), { force: true });
  const path = (name: string) => join(dir, `${name}.json`);
  return {
    write(name, record) {
      checkName(name);
      const temporary = `${path(name)}.tmp`;
      const fd = openSync(temporary, "w", 0o600);
      try {
        writeSync(fd, JSON.stringify(record));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, path(name));
      syncDirectory(dir);
    },
    remove(name) {
      checkName(name);
      // No fsync: a removal lost to a power cut only means one more (idempotent) delivery after the restart.
      rmSync(path(name), { force: true });
    },
    read(name) {
      checkName(name);
      try {
        return JSON.parse(readFileSync(path(name), "utf8")) as T;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
    names: () =>
      readdirSync(dir)
        .filter((name) => name.endsWith(".json"))
        .map((name) => name.slice(0, -".json".length))
        .sort(),
  };
}

/** Make a rename in `dir` durable (the directory entry itself). */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
