import { describe, expect, it } from "vitest";
import { DatabaseSupervisor, type SupervisedDatabase } from "../../infra/local/database-supervisor.js";

/** A database process stand-in: it answers until told not to, and exits when stopped or killed. */
function fakeDatabase(port: number, pid: number) {
  let exit = () => {};
  const exited = new Promise<void>((resolve) => (exit = resolve));
  const database = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid,
    exited,
    kill: () => exit(),
    stop: async () => exit(),
  };
  return database;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("DatabaseSupervisor", () => {
  it("notices an exit at once, says down, restarts on the same port with backoff, and releases the waiters", async () => {
    const first = fakeDatabase(4567, 1);
    const launched: number[] = [];
    let failLaunches = 1;
    const supervisor = new DatabaseSupervisor(
      first,
      async (port) => {
        launched.push(port);
        if (failLaunches-- > 0) throw new Error("port still in use");
        return fakeDatabase(port, 2);
      },
      async () => {},
      { backoffMs: [10], probeIntervalMs: 60_000 },
    );
    expect(supervisor.health()).toMatchObject({ database: "up", restarts: 0 });
    first.kill();
    await sleep(0);
    expect(supervisor.isUp()).toBe(false);
    let released = false;
    const waiting = supervisor.whenUp().then(() => (released = true));
    expect(released).toBe(false);
    await waiting;
    expect(launched).toEqual([4567, 4567]);
    expect(supervisor.health()).toMatchObject({ database: "up", restarts: 1 });
    expect(supervisor.pid).toBe(2);
    await supervisor.stop();
  });

  it("a database that stops answering is down after two failed probes and restarted after four", async () => {
    const first = fakeDatabase(4568, 1);
    const answering = new Map<string, boolean>([[first.endpoint, true]]);
    let current: SupervisedDatabase = first;
    const supervisor = new DatabaseSupervisor(
      first,
      async (port) => {
        current = fakeDatabase(port, 2);
        return current;
      },
      async (endpoint) => {
        if (current === first && !answering.get(endpoint)) throw new Error("timed out");
      },
      { backoffMs: [10], probeIntervalMs: 60_000 },
    );
    answering.set(first.endpoint, false);
    expect(await supervisor.probe()).toBe(true);
    expect(supervisor.isUp()).toBe(true);
    expect(await supervisor.probe()).toBe(false);
    expect(supervisor.health()).toMatchObject({
      database: "down",
      lastError: expect.stringContaining("timed out"),
    });
    await supervisor.probe();
    await supervisor.probe();
    await supervisor.whenUp();
    expect(supervisor.health()).toMatchObject({ database: "up", restarts: 1 });
    expect(await supervisor.probe()).toBe(true);
    await supervisor.stop();
  });
});
