/**
 * Upstream faults, over real sockets: a local server on 127.0.0.1 (ephemeral port) that answers
 * 429 with Retry-After, 5xx, never answers, or resets the connection. The plugin calls it with
 * the resilient HTTP client every reference plugin is built on (src/net/http-client.ts) and an
 * API token from its tenant secrets. The invariants at risk: every (event, plugin) still ends in
 * exactly one final record within bounded time, recovery after a transient fault succeeds, and
 * the token never shows up in a log line, a response or the stored history.
 */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { HookContext } from "../../src/context.ts";
import type { Content } from "../../src/hooks.ts";
import { createHttpClient } from "../../src/net/http-client.ts";
import { type FakeServer, sendJson, startFakeServer } from "../fakes/server.ts";
import { CountingPlugin } from "./plugins.ts";
import { Rig } from "./rig.ts";
import { createTestQueue } from "./test-queue.ts";

type Mode = "ok" | "429" | "503" | "hang" | "reset";

/** Posts each published item to the upstream; a failed call fails the hook (the pipeline retries it). */
class UpstreamPlugin extends CountingPlugin {
  override SECRETS_SCHEMA = {
    type: "object",
    properties: { api_token: { type: "string" } },
    required: ["api_token"],
  } as const;
  override hookTimeoutMs = 3_000;
  constructor(readonly upstream: () => string) {
    super("upstream");
  }
  override async contentPublished(ctx: HookContext, id: string, content: Content): Promise<void> {
    super.contentPublished(ctx, id, content);
    const token = (await this.getSecrets(ctx.tenantId)).require("api_token");
    const client = createHttpClient({
      fetch: this.fetch,
      logger: this.logger,
      logContext: { tenant_id: ctx.tenantId },
      allowInsecureUrls: true, // loopback fake
      timeoutMs: 150,
      retries: 2,
      baseDelayMs: 10,
      maxDelayMs: 40,
      retryAfterCapMs: 1_500,
    });
    const result = await client.request({
      url: `${this.upstream()}/v1/items`,
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      json: { id, tenant: ctx.tenantId },
    });
    if (!result.success) throw new Error(`upstream refused: ${result.error} after ${result.attempts} attempt(s)`);
  }
}

let rig: Rig;
let server: FakeServer | undefined;
const held: ServerResponse[] = [];
afterEach(async () => {
  for (const res of held.splice(0)) res.destroy();
  await server?.close();
  server = undefined;
});

async function withUpstream(modes: () => Mode) {
  server = await startFakeServer((_req, res) => {
    const mode = modes();
    if (mode === "ok") return sendJson(res, 201, { ok: true });
    if (mode === "429") return sendJson(res, 429, { error: "slow down" }, { "retry-after": "1" });
    if (mode === "503") return sendJson(res, 503, { error: { message: "maintenance" } });
    if (mode === "hang") return void held.push(res);
    res.socket?.destroy(); // reset: the connection dies without an answer
  });
  return server;
}

describe("upstream faults over loopback", () => {
  for (const mode of ["429", "503", "hang", "reset"] as const) {
    it(`${mode} on the first two calls, then healthy: succeeded, one record; the token never leaks`, async () => {
      let calls = 0;
      const upstream = await withUpstream(() => (++calls <= 2 ? mode : "ok"));
      const plugin = new UpstreamPlugin(() => upstream.url);
      rig = new Rig({ plugins: () => [plugin], queue: createTestQueue() });
      const tenant = await rig.tenant(["upstream"], undefined, {
        upstream: { api_token: "tok_live_upstream_0123456789abcdef" },
      });
      expect((await rig.send(tenant)).status).toBe(202);
      const started = performance.now();
      await rig.drain();
      expect(performance.now() - started).toBeLessThan(5_000);
      const byStatus = await rig.expectEventInvariant([tenant]);
      expect(byStatus).toEqual({ succeeded: 1 });
      // The token was really sent upstream, and only there.
      expect(upstream.requests.at(-1)!.headers.authorization).toBe("Bearer tok_live_upstream_0123456789abcdef");
      rig.expectNoSecretLeak(
        (await rig.records(tenant.id)).map((r) => JSON.stringify(r)),
      );
      if (mode !== "429") expect(rig.logs.find({ msg: "request failed, retrying" }).length).toBe(2);
    });

    it(
      `${mode} for good: the hook fails after the pipeline's attempts, within bounded time, one final record`,
      async () => {
        const upstream = await withUpstream(() => mode);
        const plugin = new UpstreamPlugin(() => upstream.url);
        rig = new Rig({ plugins: () => [plugin] });
        const tenant = await rig.tenant(["upstream"], undefined, {
          upstream: { api_token: "tok_live_upstream_fedcba9876543210" },
        });
        for (let i = 0; i < 3; i++) expect((await rig.send(tenant)).status).toBe(202);
        const started = performance.now();
        await rig.drain();
        // 3 events × 3 pipeline attempts, side by side per round; each attempt is bounded by the
        // client's timeouts and retry cap (and the hook's own 3 s limit).
        expect(performance.now() - started).toBeLessThan(15_000);
        const byStatus = await rig.expectEventInvariant([tenant]);
        expect(Object.values(byStatus).reduce((a, b) => a + b, 0)).toBe(3);
        expect(byStatus.succeeded ?? 0).toBe(0);
        const final = (await rig.records(tenant.id)).find((r) => r.final)!;
        expect(final.attempt).toBe(3);
        rig.expectNoSecretLeak((await rig.records(tenant.id)).map((r) => JSON.stringify(r)));
      },
      30_000,
    );
  }
});
