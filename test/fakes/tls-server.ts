/** Local TLS servers with the committed test certificates (see tls/README.md). */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type SecureVersion } from "node:tls";

const here = new URL("./tls/", import.meta.url);
export const TEST_CERTS = {
  rsa: {
    cert: readFileSync(new URL("rsa-cert.pem", here), "utf8"),
    key: readFileSync(new URL("rsa-key.pem", here), "utf8"),
  },
  ec: {
    cert: readFileSync(new URL("ec-cert.pem", here), "utf8"),
    key: readFileSync(new URL("ec-key.pem", here), "utf8"),
  },
};

export interface FakeTlsServer {
  port: number;
  /** Server names received in SNI. */
  serverNames: string[];
  close(): Promise<void>;
}

export async function startTlsServer(
  which: keyof typeof TEST_CERTS,
  options: { minVersion?: SecureVersion; maxVersion?: SecureVersion } = {},
): Promise<FakeTlsServer> {
  const serverNames: string[] = [];
  const server = createServer({
    ...TEST_CERTS[which],
    ...options,
    SNICallback: (name, cb) => {
      serverNames.push(name);
      cb(null);
    },
  }, (socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
  server.on("tlsClientError", () => {}); // the probe hangs up mid-handshake on purpose
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    serverNames,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
