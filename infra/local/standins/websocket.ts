/**
 * The server side of a WebSocket (RFC 6455), just enough for the Slack Socket Mode stand-in: the opening
 * handshake, text messages (fragmented or not), ping → pong, and the close handshake. No extensions, no
 * subprotocols; frames from the client must be masked, as the RFC requires.
 */
import { createHash } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const CLOSE_WAIT_MS = 1_000;
const MAX_MESSAGE_BYTES = 1024 * 1024;

const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WebSocketPeerEvents {
  /** A complete text message. */
  message: [string];
  /** The connection ended; the close code the client sent, if it sent one. */
  close: [number | undefined];
}

/** One accepted WebSocket connection. */
export class WebSocketPeer extends EventEmitter<WebSocketPeerEvents> {
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentsOpcode = 0;
  private closeSent = false;
  private clientCloseCode: number | undefined;
  private ended = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => {
      if (this.ended) return;
      this.ended = true;
      this.emit("close", this.clientCloseCode);
    });
  }

  get open(): boolean {
    return !this.ended && !this.closeSent;
  }

  send(text: string): void {
    if (!this.open) throw new Error("WebSocket stand-in: the connection is closing or closed");
    this.socket.write(frame(Opcode.text, Buffer.from(text, "utf8")));
  }

  /** Sends a close frame and waits for the client's (or, after a second, drops the connection). */
  close(code = 1000): Promise<void> {
    if (this.ended) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.socket.once("close", () => resolve()));
    if (!this.closeSent) {
      this.closeSent = true;
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      this.socket.write(frame(Opcode.close, payload));
    }
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_WAIT_MS);
    return closed.finally(() => clearTimeout(timer));
  }

  /** Feeds bytes read from the socket (also the `head` of the upgrade). */
  receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const parsed = parseFrame(this.buffer);
      if (parsed === "incomplete") return;
      if (parsed === "invalid") {
        this.buffer = Buffer.alloc(0);
        this.fail(1002);
        return;
      }
      this.buffer = this.buffer.subarray(parsed.size);
      this.handle(parsed.fin, parsed.opcode, parsed.payload);
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case Opcode.text:
      case Opcode.binary:
      case Opcode.continuation: {
        if (opcode !== Opcode.continuation) this.fragmentsOpcode = opcode;
        this.fragments.push(payload);
        if (this.fragments.reduce((sum, part) => sum + part.length, 0) > MAX_MESSAGE_BYTES) {
          this.fail(1009);
          return;
        }
        if (!fin) return;
        const message = Buffer.concat(this.fragments);
        this.fragments = [];
        if (this.fragmentsOpcode === Opcode.text) this.emit("message", message.toString("utf8"));
        return;
      }
      case Opcode.ping:
        if (!this.ended) this.socket.write(frame(Opcode.pong, payload));
        return;
      case Opcode.pong:
        return;
      case Opcode.close: {
        this.clientCloseCode = payload.length >= 2 ? payload.readUInt16BE(0) : undefined;
        // Echo the close (the handshake), then end: the server closes the TCP connection first.
        if (!this.closeSent) {
          this.closeSent = true;
          this.socket.write(frame(Opcode.close, payload.subarray(0, 2)));
        }
        this.socket.end();
        return;
      }
      default:
        this.fail(1002);
    }
  }

  private fail(code: number): void {
    void this.close(code);
  }
}

/**
 * Completes the opening handshake of an HTTP upgrade and returns the connection, or answers 400 and returns
 * undefined when the request is not a WebSocket upgrade.
 */
export function acceptWebSocket(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): WebSocketPeer | undefined {
  const key = request.headers["sec-websocket-key"];
  if (request.headers.upgrade?.toLowerCase() !== "websocket" || typeof key !== "string") {
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    return undefined;
  }
  const accept = createHash("sha1").update(`${key}${HANDSHAKE_GUID}`).digest("base64");
  socket.write(
    [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Accept: ${accept}`,
      "",
      "",
    ].join("\r\n"),
  );
  if ("setNoDelay" in socket && typeof socket.setNoDelay === "function") socket.setNoDelay(true);
  const peer = new WebSocketPeer(socket);
  if (head.length > 0) peer.receive(head);
  return peer;
}

/** An unmasked (server-to-client) frame with FIN set. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([0x80 | opcode, length]);
  } else if (length < 65_536) {
    header = Buffer.alloc(4);
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = 0x80 | opcode;
  return Buffer.concat([header, payload]);
}

type Frame = { fin: boolean; opcode: number; payload: Buffer; size: number };

/** One client frame from the start of `buffer`, unmasked. */
function parseFrame(buffer: Buffer): Frame | "incomplete" | "invalid" {
  if (buffer.length < 2) return "incomplete";
  const first = buffer[0] as number;
  const second = buffer[1] as number;
  if ((second & 0x80) === 0) return "invalid"; // client frames must be masked
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return "incomplete";
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return "incomplete";
    const long = buffer.readBigUInt64BE(2);
    if (long > BigInt(MAX_MESSAGE_BYTES)) return "invalid";
    length = Number(long);
    offset = 10;
  }
  if (buffer.length < offset + 4 + length) return "incomplete";
  const mask = buffer.subarray(offset, offset + 4);
  const payload = Buffer.from(buffer.subarray(offset + 4, offset + 4 + length));
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload, size: offset + 4 + length };
}
