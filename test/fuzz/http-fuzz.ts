/**
 * Fuzzing the HTTP surface with fast-check, through `app.request()`: random methods, paths,
 * headers, tokens and bodies against the webhook, filter and admin endpoints of a real runtime
 * (memory storage, healthy). The properties, for every input:
 *
 * - never a 5xx (storage is healthy, so any 5xx is a bug answering bad input);
 * - never a hang: every answer within `REQUEST_BOUND_MS`;
 * - every error is `application/problem+json` whose body parses and carries `status` (equal to
 *   the HTTP status) and a string `title`.
 *
 * Shared by the quick runs in `npm run test:node` (test/node/fuzz-*.test.ts) and the long runs
 * of the reliability suite (test/reliability/fuzz-long.test.ts).
 */
import fc from "fast-check";
import { SignJWT } from "jose";
import { signAdminToken } from "../../src/http/auth.ts";
import { signWebhook } from "../../src/http/standard-webhooks.ts";
import type { HookContext } from "../../src/context.ts";
import type { Content } from "../../src/hooks.ts";
import { Plugin } from "../../src/plugin.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { createMemoryDriver } from "../../src/backends/memory.ts";

export const REQUEST_BOUND_MS = 2_000;
const ADMIN_SECRET = "fuzz-admin-jwt-secret-0123456789abcdef-xyz";
const START = Date.UTC(2026, 10, 24, 6);

class FuzzPlugin extends Plugin {
  readonly name = "fuzzed";
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = {
    type: "object",
    properties: { site: { type: "string", maxLength: 50 }, count: { type: "integer", minimum: 0, default: 1 } },
    additionalProperties: false,
  } as const;
  override SECRETS_SCHEMA = { type: "object", properties: { token: { type: "string", minLength: 4 } } } as const;
  contentPublished(_ctx: HookContext, _id: string, _content: Content): void {}
  beforeContentCreate(_ctx: HookContext, content: Content): Content {
    return { ...content, fuzzed: true };
  }
}

export interface FuzzTarget {
  runtime: Runtime;
  tenantId: string;
  otherTenantId: string;
  secret: string;
  tokens: { platform: string; own: string; other: string; expired: string; wrongKey: string; none: string };
}

export async function createFuzzTarget(): Promise<FuzzTarget> {
  const runtime = createRuntime({
    env: {
      DVP_MASTER_KEYS: "fz:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      DVP_ADMIN_JWT_SECRET: ADMIN_SECRET,
      DVP_WEBHOOK_BODY_LIMIT: "4096", // small, so 413 is reached cheaply
      DVP_LOG_LEVEL: "error",
    },
    driver: createMemoryDriver({ now: () => START }),
    plugins: [new FuzzPlugin()],
    now: () => START,
    logSink: () => {},
  });
  const tenantId = "6f1c2a4e-8b1d-4c3e-9f00-1234567890ab";
  const otherTenantId = "0b7c9a52-3d5e-4f61-8a2b-c0ffee000001";
  const { generatedSecret } = await runtime.kernel.putTenant(tenantId, { slug: "fuzz", plan: "pro" });
  await runtime.kernel.putTenant(otherTenantId, { slug: "other", plan: "free" });
  await runtime.kernel.enable(tenantId, "fuzzed");
  const sign = (tenants: "*" | string[], extra: { expiresInSeconds?: number; now?: number } = {}) =>
    signAdminToken(ADMIN_SECRET, { tenants, now: START, ...extra });
  const header = btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "");
  const payload = btoa(JSON.stringify({ tenants: "*", iss: "dvp-kernel", aud: "dvp-kernel-admin" })).replace(/=+$/, "");
  return {
    runtime,
    tenantId,
    otherTenantId,
    secret: generatedSecret!,
    tokens: {
      platform: await sign("*"),
      own: await sign([tenantId]),
      other: await sign([otherTenantId]),
      expired: await sign("*", { now: START - 7200_000, expiresInSeconds: 60 }),
      wrongKey: await new SignJWT({ tenants: "*" }).setProtectedHeader({ alg: "HS256" }).setIssuer("dvp-kernel")
        .setAudience("dvp-kernel-admin").setIssuedAt(START / 1000).setExpirationTime(START / 1000 + 600)
        .sign(new TextEncoder().encode("another-secret-of-at-least-32-bytes!!")),
      none: `${header}.${payload}.`,
    },
  };
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Answers seen per status, so a run can show it reached past authentication into parsing. */
export type StatusCounts = Record<number, number>;

/** Sends one request and checks the three properties; returns a description of any violation. */
export async function check(target: FuzzTarget, req: FuzzRequest, seen: StatusCounts = {}): Promise<string | null> {
  const init: RequestInit = { method: req.method, headers: req.headers };
  if (req.body !== undefined && req.method !== "GET" && req.method !== "HEAD") init.body = req.body;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bounded = new Promise<"hang">((resolve) => (timer = setTimeout(() => resolve("hang"), REQUEST_BOUND_MS)));
  let res: Response | "hang";
  try {
    res = await Promise.race([
      Promise.resolve(target.runtime.app.request(`http://kernel.test${req.path}`, init)),
      bounded,
    ]);
  } catch (error) {
    return `threw ${(error as Error)?.stack ?? String(error)}`;
  } finally {
    clearTimeout(timer);
  }
  if (res === "hang") return `no answer within ${REQUEST_BOUND_MS} ms`;
  const text = await res.text();
  seen[res.status] = (seen[res.status] ?? 0) + 1;
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
  if (res.status < 400) return null;
  const type = res.headers.get("content-type");
  if (type !== "application/problem+json") return `status ${res.status} with content-type ${type}`;
  if (req.method === "HEAD") return null;
  let body: { status?: unknown; title?: unknown };
  try {
    body = JSON.parse(text);
  } catch {
    return `status ${res.status}: body is not JSON: ${text.slice(0, 200)}`;
  }
  if (body.status !== res.status) return `problem status ${String(body.status)} ≠ ${res.status}`;
  if (typeof body.title !== "string" || body.title === "") return `problem without a title: ${text.slice(0, 200)}`;
  return null;
}

// ── arbitraries ─────────────────────────────────────────────────────────────────────────────

const methods = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
/** A path segment: plain, unicode, percent-encoded (valid or broken), dots, or empty. */
const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{0,20}$/),
  fc.string({ maxLength: 20, unit: "grapheme" }).map(encodeURIComponent),
  fc.constantFrom("%", "%E0%A4%A", "%ff", "%00", "..", ".", "%2F", "%25", "a%20b", "ünïcödé", "*", ":id"),
  fc.uuid().map((u) => u.toUpperCase()),
);
const json = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.nat(200).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.constantFrom("", "null", "{", '{"a":', "\uFEFF{}", "\u0000", "1e999", '"\\ud800"', "{}".repeat(3000)),
);
const contentType = fc.oneof(
  fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/merge-patch+json",
    "text/plain",
    "",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "APPLICATION/JSON",
  ),
  fc.string({ maxLength: 30 }),
);

/** Webhook (and filter) requests: sometimes correctly signed, so parsing is reached too. */
export function webhookRequests(target: FuzzTarget): fc.Arbitrary<Promise<FuzzRequest>> {
  const tenant = fc.oneof(
    { arbitrary: fc.constant(target.tenantId), weight: 12 },
    fc.constant(target.tenantId.toUpperCase()),
    fc.constant(target.otherTenantId),
    fc.uuid(),
    segment,
  );
  const event = fc.record({
    type: fc.oneof(
      { arbitrary: fc.constantFrom("content.published", "content.updated", "content.deleted"), weight: 6 },
      fc.constantFrom("content.nope", ""),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    timestamp: fc.oneof({ arbitrary: fc.constant("2026-11-24T06:00:00Z"), weight: 4 }, fc.jsonValue({ maxDepth: 1 })),
    data: fc.oneof(
      {
        arbitrary: fc.record({
          content_id: fc.oneof(
            { arbitrary: fc.string({ minLength: 1, maxLength: 40 }), weight: 4 },
            fc.jsonValue({ maxDepth: 1 }),
          ),
          content: fc.oneof({ arbitrary: fc.object({ maxDepth: 2 }), weight: 4 }, fc.jsonValue({ maxDepth: 2 })),
          metadata: fc.oneof(fc.constant(undefined), fc.object({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 })),
        }, { requiredKeys: ["content_id", "content"] }),
        weight: 6,
      },
      fc.jsonValue({ maxDepth: 2 }),
    ),
  }, { requiredKeys: ["type", "timestamp", "data"] }).map((e) => JSON.stringify(e));
  const filterBody = fc.record({ content: fc.jsonValue({ maxDepth: 2 }), metadata: fc.jsonValue({ maxDepth: 1 }) }, {
    requiredKeys: [],
  }).map((b) => JSON.stringify(b));
  return fc.record({
    method: fc.oneof({ arbitrary: fc.constant("POST"), weight: 12 }, methods),
    route: fc.constantFrom("webhook", "webhook", "webhook", "filter", "filter-other"),
    tenant,
    body: fc.oneof(
      { arbitrary: event, weight: 4 },
      filterBody,
      json,
      // Over the 4 KiB limit often enough that every run reaches the 413 (not by chance).
      fc.integer({ min: 4_097, max: 12_000 }).map((n) => JSON.stringify({ pad: "x".repeat(n) })),
    ),
    contentType: fc.oneof({ arbitrary: fc.constant("application/json"), weight: 8 }, contentType),
    id: fc.oneof(
      { arbitrary: fc.stringMatching(/^msg_[A-Za-z0-9]{1,3}$/), weight: 8 }, // short: duplicates happen too
      fc.string({ maxLength: 300 }),
      fc.constant(undefined),
    ),
    skew: fc.oneof({ arbitrary: fc.constant(0), weight: 8 }, fc.integer({ min: -400, max: 400 }), fc.constant(1e12)),
    signing: fc.oneof(
      { arbitrary: fc.constant("valid"), weight: 10 },
      fc.constantFrom("random", "garbage", "absent", "multiple", "wrong-secret"),
    ),
    extra: fc.oneof(
      { arbitrary: fc.constant({}), weight: 6 },
      fc.dictionary(
        fc.oneof(
          fc.constantFrom("x-correlation-id", "traceparent", "content-length", "webhook-timestamp"),
          fc.string({
            minLength: 1,
            maxLength: 10,
          }).filter((s) => /^[a-z-]+$/.test(s)),
        ),
        fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
        { maxKeys: 2 },
      ),
    ),
    hook: fc.oneof(fc.constantFrom("content.before_create", "content.before_update"), segment),
  }).map(async (r) => {
    const ts = String(Math.floor(START / 1000) + r.skew);
    const path = r.route === "webhook"
      ? `/v1/webhooks/${r.tenant}`
      : `/v1/tenants/${r.tenant}/filters/${r.route === "filter" ? "content.before_create" : r.hook}`;
    const headers: Record<string, string> = { "content-type": r.contentType, ...r.extra };
    if (r.id !== undefined) headers["webhook-id"] = r.id;
    headers["webhook-timestamp"] = ts;
    const sign = async (secret: string) => signWebhook(secret, r.id ?? "", Number(ts), r.body).catch(() => "v1,xx");
    switch (r.signing) {
      case "valid":
        headers["webhook-signature"] = await sign(target.secret);
        break;
      case "multiple":
        headers["webhook-signature"] = `v1a,abc v1,${btoa("x".repeat(32))} ${await sign(target.secret)}`;
        break;
      case "wrong-secret":
        headers["webhook-signature"] = await sign("whsec_" + btoa("w".repeat(32)));
        break;
      case "random":
        headers["webhook-signature"] = `v1,${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
        break;
      case "garbage":
        headers["webhook-signature"] = r.body.slice(0, 50).replace(/[^\x20-\x7e]/g, "");
        break;
    }
    for (const [name, value] of Object.entries(headers)) if (value === "") delete headers[name];
    return { method: r.method, path, headers, body: r.body };
  });
}

/** Admin API requests: every route shape, with random ids, tokens, methods and bodies. */
export function adminRequests(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    { arbitrary: fc.constant(target.tenantId), weight: 10 },
    fc.constant(target.otherTenantId),
    fc.constant(target.tenantId.toUpperCase()),
    fc.uuid(),
    segment,
  );
  const name = fc.oneof(
    { arbitrary: fc.constant("fuzzed"), weight: 6 },
    fc.constantFrom("nope", "FUZZED", "fuzzed.task"),
    segment,
  );
  const path = fc.oneof(
    fc.constant("/v1/plugins"),
    fc.constant("/healthz"),
    fc.constant("/v1/admin/rotate-secrets"),
    id.map((t) => `/v1/tenants/${t}`),
    id.map((t) => `/v1/tenants/${t}/plugins`),
    fc.tuple(id, name).map(([t, n]) => `/v1/tenants/${t}/plugins/${n}`),
    fc.tuple(id, name, fc.constantFrom("config", "secrets", "enable", "disable", "other")).map(([t, n, s]) =>
      `/v1/tenants/${t}/plugins/${n}/${s}`
    ),
    id.map((t) => `/v1/tenants/${t}/tasks`),
    fc.tuple(id, name).map(([t, n]) => `/v1/tenants/${t}/tasks/${n}/run`),
    fc.tuple(id, fc.oneof(fc.integer(), fc.string({ maxLength: 8 }))).map(([t, n]) =>
      `/v1/tenants/${t}/executions?limit=${encodeURIComponent(String(n))}`
    ),
    id.map((t) => `/v1/tenants/${t}/health`),
    fc.array(segment, { maxLength: 5 }).map((parts) => `/v1/${parts.join("/")}`),
    fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`).filter((p) => !/^\/admin/i.test(p)),
  );
  const tokens = target.tokens;
  const authorization = fc.oneof(
    { arbitrary: fc.constantFrom(`Bearer ${tokens.platform}`, `Bearer ${tokens.own}`), weight: 12 },
    fc.constantFrom(
      `Bearer ${tokens.platform}`,
      `Bearer ${tokens.platform}`,
      `Bearer ${tokens.own}`,
      `Bearer ${tokens.other}`,
      `Bearer ${tokens.expired}`,
      `Bearer ${tokens.wrongKey}`,
      `Bearer ${tokens.none}`,
      `bearer  ${tokens.platform}`,
      `Basic ${btoa("admin:admin")}`,
      "Bearer ",
      "Bearer a.b.c",
      `Bearer ${tokens.platform}x`,
      `Bearer ${"a".repeat(9000)}.b.c`,
    ),
    fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`),
    fc.constant(undefined),
  );
  const body = fc.oneof(
    fc.record({
      slug: fc.oneof(fc.stringMatching(/^[a-z0-9-]{0,70}$/), fc.jsonValue({ maxDepth: 1 })),
      plan: fc.oneof(fc.constantFrom("free", "pro", "enterprise", "gold"), fc.jsonValue({ maxDepth: 1 })),
      webhook_secrets: fc.oneof(
        fc.constant(undefined),
        fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
    fc.record({ site: fc.jsonValue({ maxDepth: 1 }), count: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }).map((
      b,
    ) => JSON.stringify(b)),
    fc.dictionary(
      fc.string({ maxLength: 10 }),
      fc.oneof(fc.string({ maxLength: 20 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 })),
      { maxKeys: 3 },
    ).map((b) => JSON.stringify(b)),
    json,
    fc.constant(undefined),
  );
  return fc.record({
    method: fc.oneof({ arbitrary: fc.constantFrom("GET", "PUT", "POST"), weight: 8 }, methods),
    path,
    authorization,
    body,
    // A wrong content type one time in four: often enough that every run reaches the 415.
    contentType: fc.oneof({ arbitrary: fc.constant("application/json"), weight: 3 }, contentType),
  }).map((r) => {
    const headers: Record<string, string> = {};
    if (r.authorization !== undefined) headers.authorization = r.authorization;
    if (r.body !== undefined && r.contentType) headers["content-type"] = r.contentType;
    return { method: r.method, path: r.path, headers, ...(r.body !== undefined ? { body: r.body } : {}) };
  });
}

/** Runs `numRuns` random requests; throws with the shrunk counterexample on a violation. */
export async function fuzzWebhooks(target: FuzzTarget, numRuns: number, seed?: number): Promise<StatusCounts> {
  const seen: StatusCounts = {};
  await fc.assert(
    fc.asyncProperty(webhookRequests(target), async (pending) => {
      const req = await pending;
      const violation = await check(target, req, seen);
      if (violation) throw new Error(`${violation}\n${JSON.stringify(req).slice(0, 600)}`);
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  );
  await target.runtime.events.idle();
  return seen;
}

export async function fuzzAdmin(target: FuzzTarget, numRuns: number, seed?: number): Promise<StatusCounts> {
  const seen: StatusCounts = {};
  await fc.assert(
    fc.asyncProperty(adminRequests(target), async (req) => {
      const violation = await check(target, req, seen);
      if (violation) throw new Error(`${violation}\n${JSON.stringify(req).slice(0, 600)}`);
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  );
  return seen;
}
