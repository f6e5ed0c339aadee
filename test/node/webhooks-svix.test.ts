/**
 * Interoperability with the reference libraries: deliveries signed by `svix` (with its `svix-id`,
 * `svix-timestamp`, `svix-signature` headers, which Standard Webhooks allows in place of the
 * `webhook-*` ones) and by `standardwebhooks` are accepted over HTTP, and what the kernel signs
 * (`dvp webhook send`, the test kit) verifies with both libraries.
 */
import { Hono } from "hono";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { beforeAll, describe, expect, it } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime, type Runtime, signAdminToken } from "../../src/entries/runtime.ts";
import { verifyWebhook, webhookHeaders } from "../../src/http/standard-webhooks.ts";

const JWT_SECRET = "svix-interop-secret-of-32-characters!";
const body = JSON.stringify({
  type: "content.published",
  timestamp: "2026-12-01T00:00:00.000Z",
  data: { content_id: "post-1", content: { title: "Hello" }, metadata: {} },
});

let dvp: Runtime;
let host: Hono;
let tenant: string;
let secret: string;

beforeAll(async () => {
  dvp = createRuntime({
    env: {
      DVP_MASTER_KEYS: `main:${btoa(String.fromCharCode(...new Uint8Array(32).fill(9)))}`,
      DVP_ADMIN_JWT_SECRET: JWT_SECRET,
      DVP_LOG_LEVEL: "error",
    },
    driver: createMemoryDriver(),
    plugins: [],
  });
  host = new Hono().route("/", dvp.app);
  tenant = crypto.randomUUID();
  const token = await signAdminToken(JWT_SECRET, { tenants: "*" });
  const created = await host.request(`/v1/tenants/${tenant}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ slug: "acme", plan: "pro" }),
  });
  expect(created.status).toBe(201);
  secret = ((await created.json()) as { webhook_secret: string }).webhook_secret;
});

const deliver = (headers: Record<string, string>) =>
  host.request(`/v1/webhooks/${tenant}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });

describe("Svix and Standard Webhooks libraries", () => {
  it("accepts a delivery signed by svix, with svix-* headers", async () => {
    const id = `msg_${crypto.randomUUID()}`;
    const now = new Date();
    const res = await deliver({
      "svix-id": id,
      "svix-timestamp": String(Math.floor(now.getTime() / 1000)),
      "svix-signature": new SvixWebhook(secret).sign(id, now, body),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ id, status: "accepted" });
  });

  it("accepts a delivery signed by standardwebhooks, with webhook-* headers", async () => {
    const id = `msg_${crypto.randomUUID()}`;
    const now = new Date();
    const res = await deliver({
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new StandardWebhook(secret).sign(id, now, body),
    });
    expect(res.status).toBe(202);
  });

  it("refuses svix-* headers with a bad signature, and never mixes the two sets", async () => {
    const id = `msg_${crypto.randomUUID()}`;
    const now = new Date();
    const ts = String(Math.floor(now.getTime() / 1000));
    const signature = new SvixWebhook(secret).sign(id, now, body);
    const forged = await deliver({
      "svix-id": id,
      "svix-timestamp": ts,
      "svix-signature": `v1,${btoa("x".repeat(32))}`,
    });
    expect(forged.status).toBe(401);
    // webhook-id present: the webhook-* set is the one read, and it lacks a signature.
    const mixed = await deliver({ "webhook-id": id, "svix-timestamp": ts, "svix-signature": signature });
    expect(mixed.status).toBe(401);
  });

  it("signs what both libraries verify, under either header set", async () => {
    const id = "msg_kernel_signed";
    const ts = Math.floor(Date.now() / 1000);
    const headers = await webhookHeaders(secret, id, ts, body);
    expect(() => new StandardWebhook(secret).verify(body, { ...headers })).not.toThrow();
    expect(() => new SvixWebhook(secret).verify(body, { ...headers })).not.toThrow();
    const svixNamed = {
      "svix-id": headers["webhook-id"],
      "svix-timestamp": headers["webhook-timestamp"],
      "svix-signature": headers["webhook-signature"],
    };
    expect(() => new SvixWebhook(secret).verify(body, svixNamed)).not.toThrow();
    expect(await verifyWebhook(secret, svixNamed, body)).toEqual({ id, timestamp: ts });
  });
});
