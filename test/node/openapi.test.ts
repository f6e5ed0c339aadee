/**
 * The OpenAPI document stays true: every route the app registers is in it (and nothing else), and
 * every answer the admin suite's scenarios and the webhook scenarios below get is one the document
 * allows for that method and path: a listed status, problem+json for errors, and a body (and, for a
 * success, the request's body) valid against the document's JSON Schemas.
 */
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it, vi } from "vitest";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { openApiDocument, openApiPath } from "../../src/http/openapi/document.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";
import { eventBody, RecorderPlugin, signAdminToken, signedRequest } from "../fixtures/webhook-kit.ts";
import { ReporterPlugin, VaultPlugin } from "../suites/admin-fixtures.ts";
import type * as Fixtures from "../suites/admin-fixtures.ts";
import { adminSuite } from "../suites/admin.suite.ts";

type Json = Record<string, any>;

interface Seen {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  body: unknown;
  requestBody: unknown;
}

const seen: Seen[] = [];

function parse(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Every answer of the shared admin suite passes through here on its way to the suite.
vi.mock("../suites/admin-fixtures.ts", async (importOriginal) => {
  const original = await importOriginal<typeof Fixtures>();
  return {
    ...original,
    adminFixture: async (...args: Parameters<typeof original.adminFixture>) => {
      const fixture = await original.adminFixture(...args);
      const call = fixture.call;
      fixture.call = async (method, path, init = {}) => {
        const answer = await call(method, path, init);
        const requestBody = typeof init.body === "string" ? parse(init.body) : init.body;
        seen.push({
          method,
          path: new URL(path, "http://x").pathname,
          status: answer.status,
          contentType: answer.headers.get("content-type"),
          body: answer.json ?? (answer.text || undefined),
          requestBody,
        });
        return answer;
      };
      return fixture;
    },
  };
});

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "openapi-test-admin-secret-0123456789",
  DVP_LOG_LEVEL: "error",
};

function runtime(): Runtime {
  return createRuntime({
    env: ENV,
    driver: createMemoryDriver(),
    plugins: [new MyPlugin(), new VaultPlugin(), new ReporterPlugin(), new RecorderPlugin()],
    logSink: () => {},
  });
}

async function documentOf(rt: Runtime): Promise<Json> {
  const res = await rt.fetch(new Request("http://kernel.test/v1/openapi.json"));
  expect(res.status).toBe(200);
  return await res.json() as Json;
}

/** Checks answers against one document: what each violation is, in words. */
function conformance(doc: Json) {
  const base = "https://dvp.test/openapi.json";
  const validators = new Map<string, Validator>();
  const validate = (ref: string, value: unknown): string[] => {
    let v = validators.get(ref);
    if (!v) {
      v = new Validator({ $ref: `${base}${ref}` }, "2020-12", false);
      v.addSchema(doc, base);
      validators.set(ref, v);
    }
    const result = v.validate(value);
    return result.valid ? [] : result.errors.slice(-3).map((e) => `${e.instanceLocation} ${e.error}`);
  };
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    re: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
  }));
  return (s: Seen): string[] => {
    const where = `${s.method} ${s.path} → ${s.status}`;
    const isProblem = s.contentType === "application/problem+json";
    const problemErrors = () => isProblem ? validate("#/components/schemas/Problem", s.body) : ["not problem+json"];
    const match = templates.find((t) => t.re.test(s.path));
    const head = s.method === "HEAD"; // Hono answers HEAD wherever GET is routed, without the body
    const operation = match && doc.paths[match.template][head ? "get" : s.method.toLowerCase()];
    if (!operation) {
      // Unknown paths answer 404, known paths another method's 405: problems both.
      const allowed = match ? [404, 405] : [404];
      if (!allowed.includes(s.status)) return [`${where}: not in the document`];
      return problemErrors().map((e) => `${where}: ${e}`);
    }
    const response = operation.responses[String(s.status)];
    if (!response) return [`${where}: status not listed for ${operation.operationId}`];
    const out: string[] = [];
    if (head) return [];
    if (response.$ref === "#/components/responses/Problem") out.push(...problemErrors());
    else if (response.content) {
      if (s.contentType?.split(";")[0] !== "application/json") out.push(`content-type ${s.contentType}`);
      out.push(...validate(response.content["application/json"].schema.$ref, s.body));
    } else if (s.status === 204 && s.body !== undefined) out.push("a body on 204");
    const request = operation.requestBody?.content?.["application/json"]?.schema?.$ref;
    if (s.status < 300 && request && s.requestBody !== undefined) {
      out.push(...validate(request, s.requestBody).map((e) => `request body: ${e}`));
    }
    return out.map((e) => `${where}: ${e}`);
  };
}

// The whole admin suite again, its answers checked against the document. Its JWKS block is left to
// test/node/admin-api.test.ts: it generates RSA keys (seconds of CPU on a busy machine) to test token
// verification, and its answers (200, 401, 503 on GET /v1/tenants/{id}) are among those checked here.
adminSuite(
  {
    describe: (name: string, body: () => void) => name.includes("asymmetric keys") ? undefined : describe(name, body),
    it,
    expect,
    runtime: "node",
  } as const,
);

describe("OpenAPI document", () => {
  const rt = runtime();

  it("is served at /v1/openapi.json without auth, OpenAPI 3.1, with each plugin's schemas as components", async () => {
    const doc = await documentOf(rt);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "/" }]);
    const schemas = doc.components.schemas;
    expect(schemas["plugin-vault-secrets"]).toMatchObject({ required: ["api_key"] });
    expect(schemas["plugin-my-plugin-config"]).toMatchObject({ type: "object" });
    expect(schemas["plugin-my-plugin-config"].$schema).toBeUndefined();
  });

  it("lists exactly the routes the app answers (method and path)", async () => {
    const doc = await documentOf(rt);
    const documented = Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)
    ).sort();
    // Hono lists each handler: keep the concrete method + path pairs, not the 405/404 catch-alls.
    const allAll = new Set(rt.app.routes.filter((r) => r.method === "ALL").map((r) => r.path));
    const answered = [
      ...new Set(
        rt.app.routes
          .filter((r) => r.method !== "ALL" && !r.path.includes("*") && !r.path.startsWith("/admin"))
          .map((r) => `${r.method} ${openApiPath(r.path)}`),
      ),
    ].sort();
    expect(documented).toEqual(answered);
    expect(allAll.size).toBeGreaterThan(0); // the 405 answers exist, and are checked below
  });

  it("follows the registry: a plugin registered or removed after a request is in or out of the next document", async () => {
    const own = runtime();
    expect(Object.keys((await documentOf(own)).components.schemas)).not.toContain("plugin-late-config");
    const late = new MyPlugin();
    Object.defineProperty(late, "name", { value: "late" });
    own.kernel.register(late);
    expect(Object.keys((await documentOf(own)).components.schemas)).toContain("plugin-late-config");
    own.kernel.unregister("late");
    expect(Object.keys((await documentOf(own)).components.schemas)).not.toContain("plugin-late-config");
  });

  it("a mounted app describes its own prefix", async () => {
    const { Hono } = await import("hono");
    const parent = new Hono();
    parent.route("/cms", rt.app);
    const mounted = await (await parent.request("http://kernel.test/cms/v1/openapi.json")).json() as Json;
    expect(mounted.servers).toEqual([{ url: "/cms" }]);
    expect(Object.keys(mounted.paths)).toContain("/v1/tenants/{id}");
  });

  it("mounted under a parameter, keeps a few documents, not one per prefix a caller names", async () => {
    const { Hono } = await import("hono");
    const parent = new Hono();
    parent.route("/:org", rt.app);
    const kept: string[] = [];
    const set = Map.prototype.set;
    const remove = Map.prototype.delete;
    const spySet = vi.spyOn(Map.prototype, "set").mockImplementation(function (this: Map<unknown, unknown>, k, v) {
      if (typeof k === "string" && k.startsWith("/org-") && v && typeof v === "object" && "body" in v) kept.push(k);
      return set.call(this, k, v);
    });
    const spyDelete = vi.spyOn(Map.prototype, "delete").mockImplementation(function (this: Map<unknown, unknown>, k) {
      if (typeof k === "string" && k.startsWith("/org-")) kept.splice(kept.indexOf(k), 1);
      return remove.call(this, k);
    });
    try {
      for (let i = 0; i < 50; i++) {
        expect((await parent.request(`http://kernel.test/org-${i}/v1/openapi.json`)).status).toBe(200);
      }
    } finally {
      spySet.mockRestore();
      spyDelete.mockRestore();
    }
    expect(kept.length).toBeLessThanOrEqual(8);
  });

  it("the webhook and filter endpoints answer as documented", async () => {
    const doc = await documentOf(rt);
    const check = conformance(doc);
    const tenant = crypto.randomUUID();
    const token = await signAdminToken(ENV.DVP_ADMIN_JWT_SECRET, { tenants: "*" });
    const mine: Seen[] = [];
    const send = async (request: Request, requestBody?: unknown) => {
      const res = await rt.fetch(request);
      const text = await res.text();
      const s: Seen = {
        method: request.method,
        path: new URL(request.url).pathname,
        status: res.status,
        contentType: res.headers.get("content-type"),
        body: parse(text),
        requestBody,
      };
      seen.push(s);
      mine.push(s);
      return s;
    };
    const created = await send(
      new Request(`http://kernel.test/v1/tenants/${tenant}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ slug: "acme", plan: "pro" }),
      }),
      { slug: "acme", plan: "pro" },
    );
    expect(created.status).toBe(201);
    const secret = (created.body as Json).webhook_secret as string;
    const hook = `http://kernel.test/v1/webhooks/${tenant}`;
    const body = eventBody();
    const statuses = [
      (await send(await signedRequest(hook, secret, body, { id: "msg_1" }), JSON.parse(body))).status,
      (await send(await signedRequest(hook, secret, body, { id: "msg_1" }), JSON.parse(body))).status,
      (await send(await signedRequest(hook, "whsec_" + btoa("x".repeat(32)), body))).status,
      (await send(await signedRequest(hook, secret, eventBody("content.unknown")))).status,
      (await send(await signedRequest(hook, secret, JSON.stringify({ type: 1 })))).status,
      (await send(new Request(hook, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }))).status,
      (await send(new Request(hook, { method: "GET" }))).status,
    ];
    expect(statuses).toEqual([202, 200, 401, 422, 400, 415, 405]);
    const filter = `http://kernel.test/v1/tenants/${tenant}/filters/content.before_create`;
    const filterBody = { content: { title: "Hi" } };
    const filtered = [
      (await send(await signedRequest(filter, secret, JSON.stringify(filterBody)), filterBody)).status,
      (await send(await signedRequest(filter, secret, JSON.stringify({ content: 1 })))).status,
      (await send(await signedRequest(filter.replace("before_create", "nope"), secret, "{}"))).status,
    ];
    expect(filtered).toEqual([200, 400, 404]);
    const health = await send(new Request("http://kernel.test/healthz"));
    expect(health.status).toBe(200);
    expect((await send(new Request("http://kernel.test/v1/openapi.json"))).status).toBe(200);
    // Listed only once the admin API registers it: then its answer is checked like the others.
    if (doc.paths["/v1/tenants/{id}/health/run"]) {
      const run = new Request(`http://kernel.test/v1/tenants/${tenant}/health/run`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      expect((await send(run)).status).toBe(200);
    }
    expect(mine.flatMap(check)).toEqual([]);
  });
});

describe("every answer of the admin suite", () => {
  it("matches the document (status, problem+json, body and request schemas), every operation seen", async () => {
    const rt = runtime();
    const doc = await documentOf(rt);
    const check = conformance(doc);
    expect(seen.length).toBeGreaterThan(100);
    // The admin fixture mounts a stand-in sibling filter route (to prove auth does not cover it): not ours.
    const ours = seen.filter((s) => !(s.body && typeof s.body === "object" && "sibling" in s.body));
    expect(ours.flatMap(check)).toEqual([]);
    const operations = Object.entries(doc.paths as Json).flatMap(([path, ops]) =>
      Object.entries(ops as Json).map(([method, op]) => ({ method, path, op: op as Json }))
    );
    const succeeded = (method: string, path: string) => {
      const re = new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);
      return ours.some((s) => s.method.toLowerCase() === method && re.test(s.path) && s.status < 300);
    };
    const unseen = operations.filter((o) => !succeeded(o.method, o.path)).map((o) => o.op.operationId);
    expect(unseen).toEqual([]);
  });
});

describe("a plugin schema with definitions and local $refs (draft-07)", () => {
  // Its "#/definitions/…" refs are relative to the plugin's schema, not to the OpenAPI document.
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://example.test/linker/config.json",
    definitions: {
      port: { type: "integer", minimum: 1, maximum: 65535 },
      target: {
        type: "object",
        properties: { port: { $ref: "#/definitions/port" }, next: { $ref: "#/definitions/target" } },
        required: ["port"],
      },
    },
    type: "object",
    properties: { target: { $ref: "#/definitions/target" }, whole: { $ref: "#" } },
    required: ["target"],
  };
  const doc = openApiDocument({
    version: "1.0.0",
    plugins: [{
      name: "linker",
      plugin: { version: "2.0.0", CONFIG_SCHEMA: schema, SECRETS_SCHEMA: { type: "object" } },
    }],
  }) as Json;
  const base = "https://dvp.test/openapi.json";
  const validator = () => {
    const v = new Validator({ $ref: `${base}#/components/schemas/plugin-linker-config` }, "2020-12", false);
    v.addSchema(doc, base);
    return v;
  };

  it("resolves its refs inside its own component, so the document validates configs as the plugin does", () => {
    const v = validator();
    expect(v.validate({ target: { port: 443, next: { port: 8080 } } }).valid).toBe(true);
    expect(v.validate({ target: { port: 0 } }).valid).toBe(false);
    expect(v.validate({ target: { port: 443, next: { port: "x" } } }).valid).toBe(false);
    expect(v.validate({ target: { port: 1 }, whole: { target: { port: 70_000 } } }).valid).toBe(false);
    // The plugin's own validation agrees.
    const own = new Validator(schema as never, "7", false);
    expect(own.validate({ target: { port: 0 } }).valid).toBe(false);
  });

  it("every $ref in the component points into the document", () => {
    const refs: string[] = [];
    const walk = (node: unknown): void => {
      if (!node || typeof node !== "object") return;
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && typeof value === "string") refs.push(value);
        else walk(value);
      }
    };
    const component = doc.components.schemas["plugin-linker-config"];
    walk(component);
    expect(refs.length).toBe(4);
    for (const ref of refs) {
      expect(ref.startsWith("#/components/schemas/plugin-linker-config")).toBe(true);
      const target = ref.slice(2).split("/").reduce((at: any, part) => at?.[part], doc);
      expect(target).toBeTypeOf("object");
    }
    expect(component.$id).toBeUndefined(); // an $id would make every "#/…" of the document relative to it
  });
});
