import { X509Certificate } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { certificateCovers, parseCertificate } from "../../src/net/der.ts";
import { clientHello, fetchPeerCertificate, TlsProbeError } from "../../src/net/tls-certificate.ts";
import { nodeTcpConnect } from "../fakes/node-tcp.ts";
import { type FakeTlsServer, startTlsServer, TEST_CERTS } from "../fakes/tls-server.ts";

let server: FakeTlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const der = (pem: string) => new Uint8Array(new X509Certificate(pem).raw);

describe("DER reader", () => {
  it("reads validity, names and SANs as Node's X509Certificate does", () => {
    for (const { cert } of Object.values(TEST_CERTS)) {
      const info = parseCertificate(der(cert));
      const node = new X509Certificate(cert);
      expect(info.notAfter.getTime()).toBe(Date.parse(node.validTo));
      expect(info.notBefore.getTime()).toBe(Date.parse(node.validFrom));
      expect(node.subjectAltName).toContain(`DNS:${info.dnsNames[0]}`);
    }
    const rsa = parseCertificate(der(TEST_CERTS.rsa.cert));
    expect(rsa).toMatchObject({
      subjectCN: "localhost",
      issuerCN: "localhost",
      dnsNames: ["localhost", "*.test.localhost"],
    });
    expect(rsa.notAfter.toISOString()).toBe("2036-11-21T01:39:22.000Z");
  });

  it("matches host names against SANs with one wildcard label", () => {
    const rsa = parseCertificate(der(TEST_CERTS.rsa.cert));
    expect(certificateCovers(rsa, "localhost")).toBe(true);
    expect(certificateCovers(rsa, "a.test.localhost")).toBe(true);
    expect(certificateCovers(rsa, "a.b.test.localhost")).toBe(false);
    expect(certificateCovers(rsa, "example.com")).toBe(false);
  });

  it("refuses truncated or garbage input with a clear error", () => {
    const bytes = der(TEST_CERTS.rsa.cert);
    expect(() => parseCertificate(bytes.subarray(0, 100))).toThrow(/malformed certificate/);
    expect(() => parseCertificate(new Uint8Array([1, 2, 3]))).toThrow(/malformed certificate/);
  });
});

describe("TLS 1.2 certificate probe", () => {
  it("builds a ClientHello that offers TLS 1.2 only, with SNI", () => {
    const hello = clientHello("example.com");
    expect([...hello.subarray(0, 3)]).toEqual([0x16, 0x03, 0x01]);
    expect(hello[5]).toBe(0x01); // ClientHello
    expect([...hello.subarray(9, 11)]).toEqual([0x03, 0x03]);
    expect(new TextDecoder().decode(hello)).toContain("example.com");
    // no supported_versions (0x002b) extension: a TLS 1.3 server must fall back to 1.2
    const text = Array.from(hello, (b) => b.toString(16).padStart(2, "0")).join("");
    expect(text).not.toMatch(/002b00..0[0-9a-f]0304/);
  });

  for (const which of ["rsa", "ec"] as const) {
    it(`reads the ${which.toUpperCase()} certificate from a local TLS server over a TcpConnect socket`, async () => {
      server = await startTlsServer(which);
      const peer = await fetchPeerCertificate(nodeTcpConnect, {
        hostname: "127.0.0.1",
        port: server.port,
        serverName: which === "rsa" ? "localhost" : "short.localhost",
      });
      expect(peer.notAfter.getTime()).toBe(Date.parse(new X509Certificate(TEST_CERTS[which].cert).validTo));
      expect(server.serverNames).toEqual([which === "rsa" ? "localhost" : "short.localhost"]);
      expect(peer.cipherSuite).toBeGreaterThan(0);
    });
  }

  it("reports a server that refuses TLS 1.2 as a protocol error", async () => {
    server = await startTlsServer("rsa", { minVersion: "TLSv1.3" });
    const error = await fetchPeerCertificate(nodeTcpConnect, { hostname: "127.0.0.1", port: server.port }).catch((e) =>
      e
    );
    expect(error).toBeInstanceOf(TlsProbeError);
    expect(error).toMatchObject({ kind: "protocol", message: expect.stringMatching(/refuses TLS 1.2/) });
  });

  it("reports a closed port as a connect error", async () => {
    const error = await fetchPeerCertificate(nodeTcpConnect, { hostname: "127.0.0.1", port: 1 }).catch((e) => e);
    expect(error).toMatchObject({ kind: "connect" });
  });

  it("times out on a silent server", async () => {
    const { createServer } = await import("node:net");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    try {
      const error = await fetchPeerCertificate(nodeTcpConnect, { hostname: "127.0.0.1", port, timeoutMs: 100 }).catch((
        e,
      ) => e);
      expect(error).toMatchObject({ kind: "timeout" });
    } finally {
      silent.close();
    }
  });
});

describe("TLS probe over a socket that fails while reading", () => {
  it("reports the read failure as a connect error", async () => {
    const connect = () => ({
      readable: new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("connection reset")) }),
      writable: new WritableStream<Uint8Array>(),
      close: async () => {},
    });
    const error = await fetchPeerCertificate(connect, { hostname: "example.com" }).catch((e) => e);
    expect(error).toMatchObject({ kind: "connect", message: "connection failed: connection reset" });
  });

  it("reports garbage from the server as malformed", async () => {
    const connect = () => ({
      readable: new ReadableStream<Uint8Array>({
        start: (c) => c.enqueue(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n")),
      }),
      writable: new WritableStream<Uint8Array>(),
      close: async () => {},
    });
    const error = await fetchPeerCertificate(connect, { hostname: "example.com", timeoutMs: 500 }).catch((e) => e);
    expect(error).toMatchObject({ kind: "malformed" });
  });
});
