/**
 * A raw TCP connection, for the few checks `fetch` cannot do (reading a server's TLS
 * certificate). Each runtime's adapter supplies one: Cloudflare's `connect()` from
 * `cloudflare:sockets`, Deno's `Deno.connect`, Node's `net` in tests.
 */
export interface TcpSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): Promise<void>;
}

export type TcpConnect = (address: { hostname: string; port: number }) => TcpSocket | Promise<TcpSocket>;
