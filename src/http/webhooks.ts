/**
 * CMS → kernel (HTTP contract v1, DESIGN §4): signed content webhooks and the synchronous filter
 * endpoint. Cheap refusals come first (content type, declared size, header shape, timestamp),
 * then the body is read once under the size limit, then the tenant (one cached KV read) and the
 * signature. Every refusal about the signature or the tenant is the same 401: no tenant oracle.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { isUuid } from "../context.ts";
import { EVENT_HOOKS } from "../events/stored-event.ts";
import type { ContentEvent, ContentEventType } from "../events/types.ts";
import { type FieldError, FilterRejectedError, KernelError, PluginError } from "../errors.ts";
import type { Content, FilterHookName, Metadata } from "../hooks.ts";
import type { Kernel } from "../kernel.ts";
import type { TenantRecord } from "../store/tenants.ts";
import { discardBody, parseJson, readBody, refuseUnlessJson } from "./body.ts";
import type { HttpDeps } from "./deps.ts";
import { refuse } from "./problem.ts";
import { acceptSpan } from "../trace/accept.ts";
import {
  checkWebhookHeaders,
  matchesAny,
  readWebhookHeaders,
  webhookKey,
  WebhookVerificationError,
} from "./standard-webhooks.ts";

/** Deepest JSON nesting accepted in a webhook body. */
export const MAX_JSON_DEPTH = 64;

const FILTER_HOOKS: Record<string, FilterHookName> = {
  "content.before_create": "beforeContentCreate",
  "content.before_update": "beforeContentUpdate",
};

function unauthorized(): never {
  refuse(401, "invalid-signature", "the webhook signature, its timestamp or the tenant is not valid");
}

interface Verified {
  tenant: Readonly<TenantRecord>;
  id: string;
  body: unknown;
}

export function webhookRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  const keysOf = tenantKeys(deps.kernel);

  app.post("/webhooks/:tenant_id", async (c) => {
    const arrived = Date.now();
    const { tenant, id, body } = await verify(c, deps, keysOf);
    const parsed = parseEvent(body);
    const event: ContentEvent = {
      id,
      tenantId: tenant.id,
      ...parsed,
      correlationId: correlationOf(c.req.raw.headers),
      receivedAt: new Date(deps.kernel.now()).toISOString(),
      trace: acceptSpan(c.req.raw.headers, arrived),
    };
    let result;
    try {
      result = await deps.events.accept(event, waitUntilOf(c));
    } catch (error) {
      if (error instanceof KernelError && error.code === "ERR_TENANT_NOT_FOUND") unauthorized();
      // The store cannot keep an event this large (Deno KV: 64 KiB per value): a retry cannot help.
      if (error instanceof KernelError && error.code === "ERR_TOO_LARGE") {
        refuse(413, "event-too-large", error.message);
      }
      deps.kernel.logger.error("webhook could not be made durable", {
        tenant_id: tenant.id,
        webhook_id: id,
        error: (error as Error)?.message ?? String(error),
      });
      refuse(503, "not-durable", "the event could not be stored; retry later", {}, { "retry-after": "5" });
    }
    return c.json({ id, status: result }, result === "accepted" ? 202 : 200);
  });

  app.post("/tenants/:tenant_id/filters/:hook", async (c) => {
    const hook = FILTER_HOOKS[c.req.param("hook")];
    if (!hook) refuse(404, "not-found", `no filter ${c.req.param("hook")}`);
    const verified = await verify(c, deps, keysOf);
    const body = verified.body;
    const errors: FieldError[] = [];
    if (!isObject(body)) errors.push({ path: "", message: "must be an object" });
    else {
      if (!isObject(body.content)) errors.push({ path: "/content", message: "must be an object" });
      if (body.metadata !== undefined && !isObject(body.metadata)) {
        errors.push({ path: "/metadata", message: "must be an object" });
      }
    }
    if (errors.length) refuse(400, "invalid-body", "the request body is not valid", { errors });
    const { content, metadata } = body as { content: Content; metadata?: Metadata };
    try {
      const result = await deps.kernel.filter(verified.tenant.id, hook, content, metadata, {
        correlationId: correlationOf(c.req.raw.headers),
        causationId: verified.id,
      });
      return c.json({ content: result }, 200);
    } catch (error) {
      if (error instanceof FilterRejectedError) {
        const fields = { plugin: error.plugin, hook: error.hook };
        // A PluginError is the plugin's answer about the content, written for the CMS user. Any other
        // failure (a throw, a time-out) says nothing about the content: the CMS may retry, and the
        // error's own text stays in the log, which scrubs it.
        if (error.cause instanceof PluginError) {
          refuse(422, "filter-rejected", deps.kernel.log.scrub(error.message, verified.tenant.id), fields);
        }
        refuse(
          503,
          "filter-failed",
          `plugin ${error.plugin} could not check the content; retry later`,
          fields,
          {
            "retry-after": "5",
          },
        );
      }
      throw error;
    }
  });

  return app;
}

/** Content type, size, headers, timestamp, body, tenant, signature: a Verified delivery, or refused. */
async function verify(
  c: Context,
  deps: HttpDeps,
  keysOf: (tenant: Readonly<TenantRecord>) => Promise<CryptoKey[]>,
): Promise<Verified> {
  const request = c.req.raw;
  await refuseUnlessJson(request, deps.bodyLimitBytes);
  let checked;
  try {
    checked = checkWebhookHeaders(readWebhookHeaders(request.headers), {
      now: deps.kernel.now(),
      toleranceSeconds: deps.webhookToleranceSeconds,
    });
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    await discardBody(request, deps.bodyLimitBytes);
    unauthorized();
  }
  const bytes = await readBody(request, deps.bodyLimitBytes);
  const tenantId = c.req.param("tenant_id") ?? "";
  let tenant: Readonly<TenantRecord> | null;
  try {
    tenant = isUuid(tenantId) ? await deps.kernel.getTenant(tenantId) : null;
  } catch (error) {
    // Storage is down: nothing was accepted, so the sender must retry (a 5xx it understands).
    deps.kernel.logger.error("tenant could not be read for a webhook", { error: (error as Error)?.message });
    refuse(503, "storage-unavailable", "the tenant could not be read; retry later", {}, { "retry-after": "5" });
  }
  // An unknown tenant still costs an HMAC (with a decoy key), so its refusal is not instantly
  // distinguishable; a tenant rotating secrets costs one HMAC more per extra secret.
  let keys: CryptoKey[];
  try {
    keys = tenant ? await keysOf(tenant) : [await decoyKey()];
  } catch (error) {
    if (!(error instanceof KernelError && error.code === "ERR_DECRYPT")) throw error;
    // A master-key mistake (a key removed too soon, a wrong value), logged once per tenant by
    // keysOf. Without the keys the signature cannot be checked, so the answer is an unknown
    // tenant's 401, decoy HMAC included: a 503 would tell an unsigned request that the tenant
    // exists. Senders that retry every non-2xx (Svix: ~27 h) deliver once the key is back.
    keys = [await decoyKey()];
    tenant = null;
  }
  if (!(await matchesAny(keys, checked, bytes)) || !tenant) unauthorized();
  return { tenant, id: checked.id, body: parseJson(bytes, MAX_JSON_DEPTH) };
}

/** The event fields of a webhook body, or refused with 400/422. */
function parseEvent(body: unknown): Pick<ContentEvent, "type" | "timestamp" | "contentId" | "content" | "metadata"> {
  if (!isObject(body)) {
    refuse(400, "invalid-body", "the body must be a JSON object", {
      errors: [{ path: "", message: "must be an object" }],
    });
  }
  if (typeof body.type !== "string") {
    refuse(
      400,
      "invalid-body",
      body.type === undefined ? "the event type is missing" : "the event type must be a string",
      {
        errors: [{ path: "/type", message: "must be a string" }],
      },
    );
  }
  if (!Object.hasOwn(EVENT_HOOKS, body.type)) {
    refuse(422, "unknown-event-type", `unknown event type ${JSON.stringify(body.type.slice(0, 100))}`, {
      errors: [{ path: "/type", message: `must be one of ${Object.keys(EVENT_HOOKS).join(", ")}` }],
    });
  }
  const type = body.type as ContentEventType;
  const errors: FieldError[] = [];
  if (typeof body.timestamp !== "string" || Number.isNaN(Date.parse(body.timestamp))) {
    errors.push({ path: "/timestamp", message: "must be an ISO 8601 date-time string" });
  }
  const data = body.data;
  if (!isObject(data)) errors.push({ path: "/data", message: "must be an object" });
  else {
    const id = data.content_id;
    if (typeof id !== "string" || id.length === 0 || id.length > 512) {
      errors.push({ path: "/data/content_id", message: "must be a non-empty string of at most 512 characters" });
    }
    // A deleted item may come without its content; published and updated ones carry it.
    if (!(data.content === undefined && type === "content.deleted") && !isObject(data.content)) {
      errors.push({ path: "/data/content", message: "must be an object" });
    }
    if (data.metadata !== undefined && data.metadata !== null && !isObject(data.metadata)) {
      errors.push({ path: "/data/metadata", message: "must be an object" });
    }
  }
  if (errors.length) refuse(400, "invalid-body", "the event is not valid", { errors });
  const d = data as Record<string, unknown>;
  return {
    type,
    timestamp: body.timestamp as string,
    contentId: d.content_id as string,
    content: (d.content ?? {}) as Content,
    ...(isObject(d.metadata) ? { metadata: d.metadata as Metadata } : {}),
  };
}

/**
 * The tenant's webhook keys, decrypted and imported once per cached tenant record: a warm
 * webhook costs no KV read and no decryption. Secrets that cannot be decrypted are logged once
 * per tenant in this isolate: visible, without a line per retried delivery.
 */
function tenantKeys(kernel: Kernel): (tenant: Readonly<TenantRecord>) => Promise<CryptoKey[]> {
  const cache = new WeakMap<object, Promise<CryptoKey[]>>();
  const undecryptable = new Set<string>();
  const logOnce = (tenantId: string, error: unknown) => {
    if (!(error instanceof KernelError && error.code === "ERR_DECRYPT") || undecryptable.has(tenantId)) return;
    if (undecryptable.size >= 10_000) undecryptable.clear();
    undecryptable.add(tenantId);
    kernel.logger.error("webhook secrets cannot be decrypted: check DVP_MASTER_KEYS", {
      tenant_id: tenantId,
      error: error.message,
    });
  };
  return (tenant) => {
    let keys = cache.get(tenant);
    if (!keys) {
      keys = kernel.webhookSecrets(tenant).then((secrets) =>
        Promise.all(secrets.map((s) => webhookKey(s).catch(() => null)))
      ).then((list) => list.filter((k): k is CryptoKey => k !== null));
      keys.catch((error) => {
        cache.delete(tenant);
        logOnce(tenant.id, error);
      });
      cache.set(tenant, keys);
    }
    return keys;
  };
}

let decoy: Promise<CryptoKey> | undefined;
/** A random key no signature can match, checked in place of an unknown tenant's. */
function decoyKey(): Promise<CryptoKey> {
  return decoy ??= crypto.subtle.importKey(
    "raw",
    crypto.getRandomValues(new Uint8Array(32)),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** `x-correlation-id`, or the trace id of a W3C `traceparent`, or null. */
export function correlationOf(headers: Headers): string | null {
  const given = headers.get("x-correlation-id");
  if (given && /^[\x21-\x7e]{1,128}$/.test(given)) return given;
  const trace = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(headers.get("traceparent") ?? "");
  return trace ? trace[1]! : null;
}

function waitUntilOf(c: Context): ((work: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return (work) => ctx.waitUntil(work);
  } catch {
    return undefined; // served without an execution context (Node embedding, app.request in tests)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
