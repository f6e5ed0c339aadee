import { afterEach, describe, expect, it } from "vitest";
import { DomainHealthMonitorPlugin } from "../../plugins/domain-health-monitor/index.ts";
import type { TcpConnect } from "../../src/net/tcp.ts";
import { nodeTcpConnect } from "../fakes/node-tcp.ts";
import { type FakeServer, startFakeServer } from "../fakes/server.ts";
import { type FakeTlsServer, startTlsServer } from "../fakes/tls-server.ts";
import { benchFor, TENANT } from "./helpers.ts";

const servers: (FakeServer | FakeTlsServer)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Every host name resolves to 127.0.0.1 (a test "DNS"); the port is the local server's. */
const loopback = (port: number): TcpConnect => (address) =>
  nodeTcpConnect({ hostname: "127.0.0.1", port: port || address.port });

async function site() {
  const server = await startFakeServer(async (req, res) => {
    switch (req.url) {
      case "/":
        return res.writeHead(200, { "content-type": "text/html" }), res.end("<h1>Welcome to Acme</h1>");
      case "/slow":
        await new Promise((r) => setTimeout(r, 150));
        return res.writeHead(200), res.end("Welcome, slowly");
      case "/hang":
        return void setTimeout(() => (res.writeHead(200), res.end("late")), 3000);
      case "/down":
        return res.writeHead(503, { "retry-after": "30" }), res.end("maintenance");
      case "/moved":
        return res.writeHead(301, { location: "/" }), res.end();
      case "/loop":
        return res.writeHead(302, { location: "/loop" }), res.end();
      default:
        return res.writeHead(404), res.end("not found");
    }
  });
  servers.push(server);
  return server;
}

async function monitor(
  config: Record<string, unknown>,
  connect?: TcpConnect,
  clock = Date.parse("2026-11-25T00:00:00Z"),
) {
  const plugin = new DomainHealthMonitorPlugin({ allowInsecureUrls: true, ...(connect ? { connect } : {}) });
  const bench = await benchFor(plugin, config, {}, clock);
  const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
  return { plugin, bench, ctx, check: (type: string, target: string) => plugin.executeHealthCheck(ctx, type, target) };
}

describe("domain-health-monitor: uptime", () => {
  it("registers one check per domain and check type", async () => {
    const { plugin, ctx } = await monitor({ domains: [{ domain: "Acme.com" }, { domain: "blog.acme.com" }] });
    expect(await plugin.registerHealthChecks(ctx)).toEqual([
      { checkType: "uptime", target: "acme.com" },
      { checkType: "ssl", target: "acme.com" },
      { checkType: "uptime", target: "blog.acme.com" },
      { checkType: "ssl", target: "blog.acme.com" },
    ]);
  });

  it("healthy: 200 with the expected keyword; follows redirects", async () => {
    const s = await site();
    const { check } = await monitor({
      domains: [{ domain: "acme.com", url: `${s.url}/moved`, expected_keyword: "welcome to acme" }],
    });
    const result = await check("uptime", "acme.com");
    expect(result).toMatchObject({
      status: "healthy",
      details: { status: 200, keyword_found: true, final_url: `${s.url}/` },
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("unhealthy: the keyword is missing", async () => {
    const s = await site();
    const { check } = await monitor({
      domains: [{ domain: "acme.com", url: `${s.url}/`, expected_keyword: "Checkout" }],
    });
    expect(await check("uptime", "acme.com")).toMatchObject({
      status: "unhealthy",
      message: 'HTTP 200 but the page lacks "Checkout"',
    });
  });

  it("unhealthy: 503 and 404, without retries", async () => {
    const s = await site();
    const { check } = await monitor({
      domains: [{ domain: "acme.com", url: `${s.url}/down` }, { domain: "b.acme.com", url: `${s.url}/missing` }],
    });
    expect(await check("uptime", "acme.com")).toMatchObject({ status: "unhealthy", message: "HTTP 503: maintenance" });
    expect(await check("uptime", "b.acme.com")).toMatchObject({ status: "unhealthy", details: { status: 404 } });
    expect(s.requests).toHaveLength(2);
  });

  it("degraded: slower than the latency threshold", async () => {
    const s = await site();
    const { check } = await monitor({
      domains: [{ domain: "acme.com", url: `${s.url}/slow` }],
      latency_degraded_ms: 50,
    });
    expect(await check("uptime", "acme.com")).toMatchObject({
      status: "degraded",
      message: expect.stringMatching(/^slow: \d+ ms/),
    });
  });

  it("unhealthy: timeout and redirect loop", async () => {
    const s = await site();
    const { check } = await monitor({
      domains: [{ domain: "acme.com", url: `${s.url}/hang` }, { domain: "b.acme.com", url: `${s.url}/loop` }],
      timeout_seconds: 1,
      max_redirects: 3,
    });
    expect(await check("uptime", "acme.com")).toMatchObject({
      status: "unhealthy",
      message: "timed out after 1000 ms",
    });
    expect(await check("uptime", "b.acme.com")).toMatchObject({
      status: "unhealthy",
      message: "more than 3 redirects",
    });
  });

  it("refuses private addresses unless DVP_ALLOW_INSECURE_URLS is set", async () => {
    const plugin = new DomainHealthMonitorPlugin({ connect: nodeTcpConnect });
    const bench = await benchFor(plugin, {
      domains: [{ domain: "localhost" }, { domain: "x.acme.com", url: "https://169.254.169.254/" }],
    }, {});
    const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
    expect(await plugin.executeHealthCheck(ctx, "uptime", "localhost")).toMatchObject({
      status: "unhealthy",
      message: expect.stringMatching(/refusing URL: localhost is an internal host name/),
    });
    expect(await plugin.executeHealthCheck(ctx, "uptime", "x.acme.com")).toMatchObject({
      message: expect.stringMatching(/link-local/),
    });
    expect(await plugin.executeHealthCheck(ctx, "ssl", "localhost")).toMatchObject({
      status: "unhealthy",
      message: expect.stringMatching(/refusing to connect/),
    });
  });

  it("reports targets that are not configured", async () => {
    const { check } = await monitor({ domains: [{ domain: "acme.com" }] });
    expect(await check("uptime", "evil.com")).toMatchObject({
      status: "unhealthy",
      message: expect.stringMatching(/not among/),
    });
  });
});

describe("domain-health-monitor: certificate expiry over TLS 1.2", () => {
  it("healthy: the RSA test certificate has years left", async () => {
    const tls = await startTlsServer("rsa");
    servers.push(tls);
    const { check } = await monitor({ domains: [{ domain: "localhost" }], checks: ["ssl"] }, loopback(tls.port));
    expect(await check("ssl", "localhost")).toMatchObject({
      status: "healthy",
      details: { not_after: "2036-11-21T01:39:22.000Z", days_left: 3649, subject: "localhost" },
    });
    expect(tls.serverNames).toEqual(["localhost"]);
  });

  it("maps days left to degraded and unhealthy with the configured thresholds", async () => {
    const tls = await startTlsServer("ec"); // valid 2026-11-24T01:39:22Z … 2026-12-14T01:39:22Z
    servers.push(tls);
    const config = { domains: [{ domain: "short.localhost" }], ssl_degraded_days: 15, ssl_unhealthy_days: 5 };
    const at = async (iso: string) =>
      (await monitor(config, loopback(tls.port), Date.parse(iso))).check("ssl", "short.localhost");
    expect(await at("2026-11-25T00:00:00Z")).toMatchObject({ status: "healthy", details: { days_left: 19 } });
    expect(await at("2026-12-01T00:00:00Z")).toMatchObject({
      status: "degraded",
      message: "certificate expires in 13 days (2026-12-14)",
    });
    expect(await at("2026-12-10T00:00:00Z")).toMatchObject({ status: "unhealthy", details: { days_left: 4 } });
    expect(await at("2026-12-15T00:00:00Z")).toMatchObject({ status: "unhealthy", message: "certificate has expired" });
    expect(await at("2026-11-23T00:00:00Z")).toMatchObject({
      status: "unhealthy",
      message: "certificate is not valid yet",
    });
  });

  it("degraded when the certificate does not name the host", async () => {
    const tls = await startTlsServer("ec");
    servers.push(tls);
    const { check } = await monitor({ domains: [{ domain: "www.acme.com" }] }, loopback(tls.port));
    expect(await check("ssl", "www.acme.com")).toMatchObject({
      status: "degraded",
      message: expect.stringMatching(/does not name www.acme.com/),
    });
  });

  it("unknown (degraded, with the reason) when the server refuses TLS 1.2", async () => {
    const tls = await startTlsServer("rsa", { minVersion: "TLSv1.3" });
    servers.push(tls);
    const { check } = await monitor({ domains: [{ domain: "localhost" }] }, loopback(tls.port));
    expect(await check("ssl", "localhost")).toMatchObject({
      status: "degraded",
      message: "certificate expiry unknown: the server refuses TLS 1.2 (protocol_version alert)",
      details: { reason: "protocol" },
    });
  });

  it("unknown (degraded) without a socket API", async () => {
    const { check } = await monitor({ domains: [{ domain: "acme.com" }] });
    expect(await check("ssl", "acme.com")).toMatchObject({
      status: "degraded",
      message: expect.stringMatching(/no TCP socket API/),
    });
  });

  it("uses the configured TLS port", async () => {
    const tls = await startTlsServer("rsa");
    servers.push(tls);
    const seen: number[] = [];
    const { check } = await monitor({ domains: [{ domain: "localhost", tls_port: 8443 }] }, (address) => {
      seen.push(address.port);
      return nodeTcpConnect({ hostname: "127.0.0.1", port: tls.port });
    });
    expect((await check("ssl", "localhost")).status).toBe("healthy");
    expect(seen).toEqual([8443]);
  });
});
