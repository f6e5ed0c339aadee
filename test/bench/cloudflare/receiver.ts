/**
 * The hand-written reference for the Cloudflare webhook benchmark (scripts/bench-cloudflare.ts):
 * the least a Worker keeping DESIGN §6's "durable before the 2xx" does, written by hand. It
 * checks the Standard Webhooks HMAC with WebCrypto (the key imported once per isolate), then
 * commits one row (the webhook-id, its dedupe claim, with the body) to the tenant's SQLite Durable
 * Object before it answers 202 (200 for a duplicate). No tenant lookup, no dispatch, no records.
 */
/// <reference path="../../../src/backends/cloudflare/workers-module.d.ts" />
import { DurableObject } from "cloudflare:workers";

interface Env {
  RECEIVER: {
    idFromName(name: string): unknown;
    get(id: unknown): { claim(id: string, body: string): Promise<boolean> };
  };
  WEBHOOK_SECRET: string;
}

export class ReceiverObject extends DurableObject<Env> {
  constructor(ctx: ConstructorParameters<typeof DurableObject<Env>>[0], env: Env) {
    super(ctx, env);
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS claims (id TEXT PRIMARY KEY, body TEXT NOT NULL)");
  }

  claim(id: string, body: string): boolean {
    const rows = this.ctx.storage.sql.exec(
      "INSERT INTO claims (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING RETURNING id",
      id,
      body,
    ).toArray();
    return rows.length === 1;
  }
}

let key: Promise<CryptoKey> | undefined;
const hmacKey = (secret: string) =>
  key ??= crypto.subtle.importKey(
    "raw",
    Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (ch) => ch.charCodeAt(0)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const tenant = new URL(request.url).pathname.split("/").pop() ?? "";
    if (request.method !== "POST") return new Response("ok");
    const body = await request.text();
    const id = request.headers.get("webhook-id") ?? "";
    const ts = request.headers.get("webhook-timestamp") ?? "";
    if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return new Response("stale", { status: 401 });
    const signed = new TextEncoder().encode(`${id}.${ts}.${body}`);
    const header = request.headers.get("webhook-signature") ?? "";
    const ok = await Promise.all(
      header.split(" ").map(async (part) => {
        if (!part.startsWith("v1,")) return false;
        const signature = Uint8Array.from(atob(part.slice(3)), (ch) => ch.charCodeAt(0));
        return crypto.subtle.verify("HMAC", await hmacKey(env.WEBHOOK_SECRET), signature, signed);
      }),
    );
    if (!ok.includes(true)) return new Response("bad signature", { status: 401 });
    const stub = env.RECEIVER.get(env.RECEIVER.idFromName(tenant));
    const accepted = await stub.claim(id, body);
    return Response.json({ id, status: accepted ? "accepted" : "duplicate" }, { status: accepted ? 202 : 200 });
  },
};
