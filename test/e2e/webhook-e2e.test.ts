/**
 * End to end, per runtime: the real dev server process (`npm start` → wrangler dev / workerd,
 * and `deno task dev` → Deno.serve + Deno KV), a signed webhook over loopback, and the enabled
 * reference plugin's outbound call (vercel-deployer's deploy hook) reaching a local fake upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookHeaders } from "../../src/http/standard-webhooks.ts";
import { type DevProcess, type FakeUpstream, freePort, startDev, startFakeUpstream, until } from "./dev-process.ts";

const body = JSON.stringify({
  type: "content.published",
  timestamp: new Date().toISOString(),
  data: { content_id: "e2e-post", content: { title: "End to end", domain: "example.com" }, metadata: {} },
});

async function sendSignedWebhook(dev: DevProcess, id: string): Promise<Response> {
  const { base, tenantId, secret } = dev.ready;
  return fetch(`${base}/v1/webhooks/${tenantId}`, {
    method: "POST",
    signal: AbortSignal.timeout(20_000),
    headers: {
      "content-type": "application/json",
      "x-correlation-id": `e2e-${id}`,
      ...(await webhookHeaders(secret, id, Math.floor(Date.now() / 1000), body)),
    },
    body,
  });
}

for (
  const [runtime, command, args] of [
    ["wrangler dev (npm start)", process.execPath, ["scripts/dev.mjs"]],
    ["deno task dev", "npx", ["deno", "task", "dev"]],
  ] as const
) {
  describe(`end to end: ${runtime}`, () => {
    let upstream: FakeUpstream;
    let dev: DevProcess;

    beforeAll(async () => {
      upstream = await startFakeUpstream();
      dev = await startDev(command, [...args], {
        PORT: String(await freePort()),
        DVP_DEMO_UPSTREAM_URL: upstream.url,
        DVP_LOG_LEVEL: "warn",
      });
    }, 150_000);

    afterAll(async () => {
      await dev?.stop();
      await upstream?.close();
    });

    it("accepts a signed webhook and the enabled plugin calls the upstream", async () => {
      const id = `msg_e2e_${Date.now()}`;
      const res = await sendSignedWebhook(dev, id);
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ id, status: "accepted" });
      const call = await until(
        () => upstream.calls.find((c) => c.method === "POST" && c.path.startsWith("/vercel/deploy-hook")),
        30_000,
        `vercel-deployer's call to the fake upstream (output:\n${dev.output()})`,
      );
      expect(call.path).toContain("/vercel/deploy-hook");

      const again = await sendSignedWebhook(dev, id);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ id, status: "duplicate" });

      const refused = await fetch(`${dev.ready.base}/v1/webhooks/${dev.ready.tenantId}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      // Refusals that come before the body is needed leave the sender's keep-alive connection usable:
      // each request below reuses it (an unread body used to break the next request under wrangler dev).
      for (let i = 0; i < 3; i++) {
        const unsigned = await fetch(`${dev.ready.base}/v1/webhooks/${dev.ready.tenantId}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(20_000),
        });
        expect(unsigned.status).toBe(401);
        await unsigned.body?.cancel();
        const noToken = await fetch(`${dev.ready.base}/v1/tenants/${dev.ready.tenantId}`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ slug: "x", plan: "pro" }),
          signal: AbortSignal.timeout(20_000),
        });
        expect(noToken.status).toBe(401);
        await noToken.body?.cancel();
      }

      // The plugin's outcome is recorded in the tenant's execution history.
      let recorded = "";
      for (let i = 0; i < 100 && !recorded.includes(id); i++) {
        const history = await fetch(`${dev.ready.base}/v1/tenants/${dev.ready.tenantId}/executions?limit=100`, {
          headers: { authorization: `Bearer ${dev.ready.token}` },
          signal: AbortSignal.timeout(20_000),
        });
        recorded = await history.text();
        if (!recorded.includes(id)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(recorded).toContain(id);
      expect(recorded).toContain("vercel-deployer");
    }, 120_000);
  });
}
