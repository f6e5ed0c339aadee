/**
 * A webhook's accept span on Deno: stored with the event in Deno KV, read back by the KV queue's
 * consumer, and shown with the hook's record by the executions API; and the stored event small
 * enough that Deno KV keeps it within its row (SQLite gives a row over about 1000 bytes a 4 KiB
 * overflow page of its own, which made every small webhook cost half as much again).
 */
import { expect } from "expect";
import { DatabaseSync } from "node:sqlite";
import { startDeno } from "../../src/adapters/deno.ts";
import type { Plugin } from "../../src/plugin.ts";
import { ACCEPT_SPAN_NAME } from "../../src/trace/accept.ts";
import { RecorderPlugin, signAdminToken, signedRequest } from "../fixtures/webhook-kit.ts";
import { tenantWithPlugin } from "./tenant-setup.ts";

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "deno-trace-admin-secret-0123456789abcdef",
  DVP_LOG_LEVEL: "error",
};
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

/** The adapter on a free loopback port with these plugins and no cron. */
const startLocal = (kv: Deno.Kv, plugins: Plugin[]) =>
  startDeno({ env: ENV, kv, port: 0, hostname: "127.0.0.1", cron: () => undefined, plugins: () => plugins });

interface SpanView {
  kind: string;
  name: string;
  trace_id: string;
  span_id: string;
  parent_span_id?: string;
  start: string;
  duration_ms: number;
}

Deno.test({
  name: "Deno trace: the accept span goes through Deno KV and the KV queue into the hook's record in the API",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recorder = new RecorderPlugin();
    const kv = await Deno.openKv(":memory:");
    const kernel = await startLocal(kv, [recorder]);
    try {
      const { tenant, secret } = await tenantWithPlugin(kernel.url, ENV.DVP_ADMIN_JWT_SECRET, "recorder", "traced");
      const sent = Date.now();
      const body = JSON.stringify({
        type: "content.published",
        timestamp: new Date().toISOString(),
        data: { content_id: "post-1", content: { title: "Traced" } },
      });
      const accepted = await fetch(
        await signedRequest(`${kernel.url}/v1/webhooks/${tenant}`, secret, body, {
          id: "msg_traced",
          headers: { traceparent: `00-${TRACE}-${PARENT}-01` },
        }),
      );
      expect(accepted.status).toBe(202);
      await accepted.body?.cancel();

      const token = await signAdminToken(ENV.DVP_ADMIN_JWT_SECRET, { tenants: "*" });
      const executions = async () => {
        const res = await fetch(`${kernel.url}/v1/tenants/${tenant}/executions?kind=hook`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return ((await res.json()) as { executions: { final: boolean; spans: SpanView[] }[] }).executions;
      };
      const end = Date.now() + 10_000;
      let records = await executions();
      while (!records.some((r) => r.final) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
        records = await executions();
      }
      const [accept, hook] = records.find((r) => r.final)!.spans;
      expect(accept).toMatchObject({ kind: "accept", name: ACCEPT_SPAN_NAME, trace_id: TRACE, parent_span_id: PARENT });
      expect(accept!.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(Date.parse(accept!.start)).toBeGreaterThanOrEqual(sent - 1000);
      expect(accept!.duration_ms).toBeGreaterThanOrEqual(0);
      expect(hook).toMatchObject({ kind: "hook", trace_id: TRACE, parent_span_id: accept!.span_id });
    } finally {
      await kernel.close();
      kv.close();
    }
  },
});

Deno.test({
  name: "Deno trace: a webhook with 512 bytes of content is stored, accept span and all, without an overflow page",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/kv.sqlite3`;
    const kv = await Deno.openKv(path);
    const kernel = await startLocal(kv, []);
    const events = 100;
    try {
      const tenant = crypto.randomUUID();
      const { generatedSecret } = await kernel.runtime.kernel.putTenant(tenant, { slug: "sized", plan: "pro" });
      // The shape `npm run bench:webhook` sends.
      const body = JSON.stringify({
        type: "content.published",
        timestamp: new Date().toISOString(),
        data: { content_id: "post-1", content: { title: "Benchmark", body: "x".repeat(512) }, metadata: { a: 1 } },
      });
      for (let i = 0; i < events; i++) {
        const request = await signedRequest(`http://kernel.test/v1/webhooks/${tenant}`, generatedSecret!, body);
        const res = await kernel.runtime.fetch(request);
        expect(res.status).toBe(202);
        await res.body?.cancel();
      }
      const [key] = (await Array.fromAsync(kv.list({ prefix: [] }))).map((e) => e.key).filter((k) =>
        String(k[0]).startsWith(`evt:${tenant}:`)
      );
      const stored = (await kv.get<{ v: string }>(key!)).value!.v;
      expect(stored).toContain('"trace":');
    } finally {
      await kernel.close();
      kv.close();
    }
    // Pages that hold a part of a row too large for its page: one per event when the row is over.
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const { pages } = db.prepare("SELECT count(*) AS pages FROM dbstat WHERE pagetype = 'overflow'").get() as {
        pages: number;
      };
      expect(pages).toBe(0);
    } finally {
      db.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
