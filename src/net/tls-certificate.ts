/**
 * Read a server's TLS certificate without `fetch` (which exposes no peer certificate on Workers
 * or Deno): open a raw TCP socket (the runtime's `TcpConnect`), send a TLS 1.2 ClientHello and
 * parse the server's Certificate handshake message, then hang up. Only TLS 1.2 works for this —
 * TLS 1.3 encrypts the Certificate message — so the hello offers 1.2 alone (no
 * supported_versions extension).
 *
 * Limits: a server that refuses TLS 1.2 answers with a protocol_version alert (reported as
 * `TlsProbeError` kind "protocol"); the chain is not verified (fetch does that for the uptime
 * check); on Cloudflare Workers outbound sockets to Cloudflare-proxied addresses are refused.
 */
import { KernelError } from "../errors.ts";
import { type CertificateInfo, parseCertificate } from "./der.ts";
import type { TcpConnect, TcpSocket } from "./tcp.ts";

export type TlsProbeErrorKind = "connect" | "timeout" | "alert" | "protocol" | "malformed";

export class TlsProbeError extends KernelError {
  declare readonly code: "ERR_TLS_PROBE";
  constructor(readonly kind: TlsProbeErrorKind, message: string) {
    super("ERR_TLS_PROBE", message);
    this.name = "TlsProbeError";
  }
}

export interface PeerCertificate extends CertificateInfo {
  /** The negotiated cipher suite, e.g. 0xc02f. */
  cipherSuite: number;
}

export interface TlsProbeOptions {
  hostname: string;
  port?: number;
  /** Server name sent in SNI (default `hostname`; omitted for IP literals). */
  serverName?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

// ECDHE (GCM, ChaCha20, CBC) and plain RSA suites, so old and new TLS 1.2 servers find one.
const CIPHER_SUITES = [
  0xc02b,
  0xc02f,
  0xc02c,
  0xc030,
  0xcca9,
  0xcca8,
  0xc009,
  0xc013,
  0xc00a,
  0xc014,
  0xc023,
  0xc027,
  0xc024,
  0xc028,
  0x009c,
  0x009d,
  0x002f,
  0x0035,
  0x003c,
  0x003d,
  0x00ff,
];
const GROUPS = [0x001d, 0x0017, 0x0018, 0x0019];
const SIGNATURE_ALGORITHMS = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201];
const ALERTS: Record<number, string> = {
  40: "handshake_failure",
  42: "bad_certificate",
  47: "illegal_parameter",
  70: "protocol_version",
  71: "insufficient_security",
  80: "internal_error",
  112: "unrecognized_name",
};
const MAX_HANDSHAKE_BYTES = 512 * 1024;

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const vector16 = (bytes: number[]) => [...u16(bytes.length), ...bytes];
const extension = (type: number, data: number[]) => [...u16(type), ...vector16(data)];

/** The TLS 1.2 ClientHello record. */
export function clientHello(serverName: string | null): Uint8Array {
  const extensions: number[] = [];
  if (serverName) {
    const name = [...new TextEncoder().encode(serverName)];
    extensions.push(...extension(0x0000, vector16([0x00, ...vector16(name)])));
  }
  extensions.push(
    ...extension(0x000a, vector16(GROUPS.flatMap(u16))),
    ...extension(0x000b, [0x01, 0x00]),
    ...extension(0x000d, vector16(SIGNATURE_ALGORITHMS.flatMap(u16))),
    ...extension(0x0017, []),
  );
  const body = [
    0x03,
    0x03,
    ...crypto.getRandomValues(new Uint8Array(32)),
    0x00, // no session id
    ...vector16(CIPHER_SUITES.flatMap(u16)),
    0x01,
    0x00, // null compression only
    ...vector16(extensions),
  ];
  const handshake = [0x01, ...u24(body.length), ...body];
  return new Uint8Array([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

/** Connect, say hello, read up to the Certificate message, hang up. */
export async function fetchPeerCertificate(connect: TcpConnect, options: TlsProbeOptions): Promise<PeerCertificate> {
  const port = options.port ?? 443;
  const isIp = /^[\d.]+$/.test(options.hostname) || options.hostname.includes(":");
  const serverName = options.serverName ?? (isIp ? null : options.hostname);
  let socket: TcpSocket | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abort = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TlsProbeError("timeout", `no TLS answer within ${options.timeoutMs ?? 10_000} ms`)),
      options.timeoutMs ?? 10_000,
    );
    options.signal?.addEventListener("abort", () => reject(new TlsProbeError("timeout", "aborted")), { once: true });
  });
  abort.catch(() => {}); // handled by the race below
  try {
    return await Promise.race([
      (async () => {
        try {
          socket = await connect({ hostname: options.hostname, port });
          const writer = socket.writable.getWriter();
          await writer.write(clientHello(serverName));
          writer.releaseLock();
        } catch (error) {
          throw new TlsProbeError(
            "connect",
            `cannot connect to ${options.hostname}:${port}: ${(error as Error).message}`,
          );
        }
        return await readCertificate(socket.readable.getReader());
      })(),
      abort,
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    await socket?.close().catch(() => {});
  }
}

async function readCertificate(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<PeerCertificate> {
  let buffered = new Uint8Array(0);
  let handshake = new Uint8Array(0);
  let cipherSuite = -1;
  const append = (a: Uint8Array, b: Uint8Array) => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  try {
    for (;;) {
      // Whole records first.
      while (buffered.length >= 5) {
        const type = buffered[0]!;
        if (type < 20 || type > 23 || buffered[1] !== 3) {
          throw new TlsProbeError("malformed", "the server does not speak TLS on this port");
        }
        const length = (buffered[3]! << 8) | buffered[4]!;
        if (buffered.length < 5 + length) break;
        const fragment = buffered.subarray(5, 5 + length);
        buffered = buffered.slice(5 + length);
        if (type === 21) {
          const name = ALERTS[fragment[1] ?? -1] ?? `alert ${fragment[1]}`;
          throw new TlsProbeError(
            fragment[1] === 70 ? "protocol" : "alert",
            fragment[1] === 70 ? "the server refuses TLS 1.2 (protocol_version alert)" : `the server sent ${name}`,
          );
        }
        if (type !== 22) throw new TlsProbeError("malformed", `unexpected TLS record type ${type}`);
        handshake = append(handshake, fragment);
      }
      // Then whole handshake messages.
      while (handshake.length >= 4) {
        const type = handshake[0]!;
        const length = (handshake[1]! << 16) | (handshake[2]! << 8) | handshake[3]!;
        if (handshake.length < 4 + length) break;
        const message = handshake.subarray(4, 4 + length);
        handshake = handshake.slice(4 + length);
        if (type === 2) cipherSuite = serverHelloCipher(message);
        else if (type === 11) return { ...firstCertificate(message), cipherSuite };
        else if (type === 14) throw new TlsProbeError("malformed", "the server sent no certificate");
      }
      if (buffered.length + handshake.length > MAX_HANDSHAKE_BYTES) {
        throw new TlsProbeError("malformed", "handshake too large");
      }
      const { value, done } = await reader.read().catch((error: unknown) => {
        throw new TlsProbeError(
          "connect",
          `connection failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      if (done) throw new TlsProbeError("malformed", "the server closed the connection during the handshake");
      buffered = append(buffered, value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function serverHelloCipher(message: Uint8Array): number {
  const version = (message[0]! << 8) | message[1]!;
  if (version !== 0x0303) throw new TlsProbeError("protocol", `the server chose TLS version 0x${version.toString(16)}`);
  const sessionIdLength = message[34]!;
  const at = 35 + sessionIdLength;
  return (message[at]! << 8) | message[at + 1]!;
}

function firstCertificate(message: Uint8Array): CertificateInfo {
  if (message.length < 6) throw new TlsProbeError("malformed", "empty Certificate message");
  const length = (message[3]! << 16) | (message[4]! << 8) | message[5]!;
  if (length === 0 || 6 + length > message.length) throw new TlsProbeError("malformed", "bad certificate length");
  try {
    return parseCertificate(message.subarray(6, 6 + length));
  } catch (error) {
    throw new TlsProbeError("malformed", (error as Error).message);
  }
}
