import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export interface RawExchange {
  /** Status codes of the responses received, in order. */
  readonly statuses: number[];
  /** Everything received, as text. */
  readonly text: string;
  /** Whether the server closed the connection (FIN or reset) before the timeout. */
  readonly closed: boolean;
}

/**
 * Write `chunks` on one TCP connection, exactly as given (pipelined requests, lying headers, partial bodies), and
 * collect what comes back until the server closes the connection, `expectResponses` responses have arrived, or
 * `timeoutMs` passes. Never throws for a reset: a closed connection is an outcome.
 */
export function rawExchange(
  port: number,
  chunks: (string | Buffer)[],
  options: { expectResponses?: number; timeoutMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let closed = false;
    const statuses = () => [...text.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((match) => Number(match[1]));
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ statuses: statuses(), text, closed });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 5_000);
    socket.on("data", (data) => {
      text += data.toString("latin1");
      // Give the last response's body a moment to arrive after its status line.
      if (options.expectResponses && statuses().length >= options.expectResponses) setTimeout(finish, 200);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      finish();
    });
    socket.on("connect", () => {
      for (const chunk of chunks) socket.write(chunk);
    });
  });
}

/** A request with a chosen Host header (fetch always sends the URL's). */
export function requestWithHost(
  url: string,
  options: { host: string; method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port: target.port,
        method: options.method ?? "GET",
        path: options.path,
        headers: { ...options.headers, host: options.host },
      },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += String(chunk);
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** The addresses a TCP port is listening on, from /proc/net/tcp and tcp6 (`127.0.0.1`, `0.0.0.0`, `v6:<hex>`). */
export function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let rows: string[];
    try {
      rows = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const [, local = "", , state] = row.trim().split(/\s+/);
      const [address = "", portHex = ""] = local.split(":");
      if (state !== "0A" || Number.parseInt(portHex, 16) !== port) continue;
      addresses.push(
        address.length === 8
          ? (address.match(/../g) ?? [])
              .reverse()
              .map((byte) => Number.parseInt(byte, 16))
              .join(".")
          : `v6:${address}`,
      );
    }
  }
  return addresses;
}
