/**
 * The admin API (DESIGN §4), run unchanged on Node, inside workerd and under Deno: JWT attacks,
 * 401/403/404 ordering, every route's happy path and error statuses with problem+json bodies,
 * body limits, and secrets that never come back in any response.
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { createAdminAuth, signAdminToken } from "../../src/http/auth.ts";
import type { KVDriver } from "../../src/entries/drivers.ts";
import { createScheduler } from "../../src/scheduler/index.ts";
import {
  ADMIN_SECRET,
  type AdminFixture,
  adminFixture,
  type Answer,
  b64url,
  NOW,
  rawHs256,
  TENANT_A,
  TENANT_B,
  TENANT_NEW,
} from "./admin-fixtures.ts";
import type { Harness } from "./harness.ts";

export interface AdminSuiteOptions {
  /** Storage for the kernel (default memory); workerd passes its real local KV. */
  driver?: () => KVDriver;
}

const SECS = Math.floor(NOW / 1000);
const CLAIMS = { tenants: "*", iss: "dvp-kernel", aud: "dvp-kernel-admin", sub: "t" };
const API_KEY = "sk_live_vault_0123456789";
const WEBHOOK_TOKEN = "tok_hidden_987654321";

export function adminSuite(t: Harness, options: AdminSuiteOptions = {}): void {
  const { describe, it, expect } = t;
  const setup = () => adminFixture(options.driver ? { driver: options.driver() } : {});
  const setupReal = () =>
    adminFixture({ ...(options.driver ? { driver: options.driver() } : {}), scheduler: (k) => createScheduler(k) });

  const expectProblem = (answer: Answer, status: number) => {
    expect(answer.status).toBe(status);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(answer.json).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
    expect(answer.text).not.toMatch(/\bat .*\(|\.ts:\d+|stack/i); // no stack traces
  };
  const expect401 = async (f: AdminFixture, token: string | null, headers?: HeadersInit) => {
    const answer = await f.call("GET", `/v1/tenants/${TENANT_A}`, { token, headers });
    expectProblem(answer, 401);
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer realm="dvp-admin"/);
    return answer;
  };
  const hs = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: "HS256", typ: "JWT" }) =>
    rawHs256(ADMIN_SECRET, header, claims);

  describe("admin auth: the token", () => {
    it("is required: no header → 401 with a realm challenge and no error code (RFC 6750)", async () => {
      const f = await setup();
      const answer = await expect401(f, null);
      expect(answer.headers.get("www-authenticate")).toBe('Bearer realm="dvp-admin"');
      expect(answer.json.detail).toMatch(/Bearer token is required/);
    });

    it("accepts a valid HS256 platform token and a scoped token for its tenant", async () => {
      const f = await setup();
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`)).status).toBe(200);
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`, { token: f.scopedA })).status).toBe(200);
      expect(
        (await f.call("GET", `/v1/tenants/${TENANT_A}`, { headers: { authorization: `bearer  ${f.scopedA}` } })).status,
      )
        .toBe(200);
    });

    it("refuses garbage Authorization headers with 401 invalid_token", async () => {
      const f = await setup();
      for (
        const header of [
          "Bearer",
          "Bearer ",
          `Basic ${btoa("admin:admin")}`,
          "Bearer a.b",
          "Bearer not a token",
          `Bearer ${f.platform}=`,
          `Bearer ${f.platform} ${f.platform}`,
          `Token ${f.platform}`,
          `Bearer ${"a".repeat(5000)}.${"b".repeat(5000)}.c`,
          "Bearer ...",
          "Bearer $$$.%%%.&&&",
        ]
      ) {
        const answer = await expect401(f, null, { authorization: header });
        expect(answer.headers.get("www-authenticate")).toContain('error="invalid_token"');
      }
      // Too long says so, whatever its shape.
      const long = await expect401(f, null, { authorization: `Bearer ${"x".repeat(9000)}` });
      expect(long.json.detail).toBe("token is too long");
    });

    it('refuses alg "none", with or without a signature', async () => {
      const f = await setup();
      const body = { ...CLAIMS, exp: SECS + 600 };
      const unsigned = `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(body))}.`;
      await expect401(f, unsigned);
      await expect401(f, await hs(body, { alg: "none" }));
      await expect401(f, await hs(body, { alg: "None" }));
    });

    it("refuses other HMAC algorithms than the pinned HS256, and a wrong secret", async () => {
      const f = await setup();
      const body = { ...CLAIMS, exp: SECS + 600 };
      const hs512 = await new SignJWT(body).setProtectedHeader({ alg: "HS512" }).sign(
        new TextEncoder().encode(ADMIN_SECRET),
      );
      await expect401(f, hs512);
      await expect401(f, await rawHs256("another-secret-of-enough-length-0123456789", { alg: "HS256" }, body));
    });

    it("refuses expired tokens beyond the 60 s tolerance, accepts within it", async () => {
      const f = await setup();
      const expired = await signAdminToken(ADMIN_SECRET, { tenants: "*", now: NOW - 3600_000, expiresInSeconds: 3539 });
      expect((await expect401(f, expired)).json.detail).toBe("token expired");
      const justExpired = await signAdminToken(ADMIN_SECRET, {
        tenants: "*",
        now: NOW - 3600_000,
        expiresInSeconds: 3570,
      });
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`, { token: justExpired })).status).toBe(200);
    });

    it("refuses tokens not yet valid (nbf) beyond the tolerance, accepts within it", async () => {
      const f = await setup();
      const later = await hs({ ...CLAIMS, nbf: SECS + 300, exp: SECS + 900 });
      expect((await expect401(f, later)).json.detail).toBe("token is not yet valid");
      const soon = await hs({ ...CLAIMS, nbf: SECS + 20, exp: SECS + 900 });
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`, { token: soon })).status).toBe(200);
    });

    it("requires exp, iss and aud, and checks iss and aud", async () => {
      const f = await setup();
      const { iss: _iss, ...noIss } = CLAIMS;
      const { aud: _aud, ...noAud } = CLAIMS;
      expect((await expect401(f, await hs({ ...CLAIMS }))).json.detail).toBe('token claim "exp" is required');
      await expect401(f, await hs({ ...noIss, exp: SECS + 600 }));
      await expect401(f, await hs({ ...noAud, exp: SECS + 600 }));
      await expect401(f, await hs({ ...CLAIMS, iss: "evil", exp: SECS + 600 }));
      await expect401(f, await hs({ ...CLAIMS, aud: "another-service", exp: SECS + 600 }));
      await expect401(f, await hs({ ...CLAIMS, exp: "tomorrow" }));
      await expect401(f, await signAdminToken(ADMIN_SECRET, { tenants: "*", now: NOW, audience: "other" }));
      // The control: the same claims with everything right pass.
      expect(
        (await f.call("GET", `/v1/tenants/${TENANT_A}`, { token: await hs({ ...CLAIMS, exp: SECS + 600 }) }))
          .status,
      ).toBe(200);
    });

    it("refuses a tampered payload (scope widened to every tenant) and a bad tenants claim", async () => {
      const f = await setup();
      const [head, , sig] = f.scopedA.split(".");
      const widened = `${head}.${b64url(JSON.stringify({ ...CLAIMS, exp: SECS + 600 }))}.${sig}`;
      expect((await expect401(f, widened)).json.detail).toBe("token signature is invalid");
      for (const tenants of ["all", ["not-a-uuid"], [42], null, undefined]) {
        await expect401(f, await hs({ ...CLAIMS, tenants, exp: SECS + 600 }));
      }
    });

    it("scopes: a token for another tenant gets 403 insufficient_scope; a platform route needs '*'", async () => {
      const f = await setup();
      for (
        const [method, path] of [
          ["GET", `/v1/tenants/${TENANT_B}`],
          ["GET", `/v1/tenants/${TENANT_B}/plugins`],
          ["PUT", `/v1/tenants/${TENANT_B}/plugins/my-plugin/config`],
          ["POST", `/v1/tenants/${TENANT_B}/plugins/vault/enable`],
          ["GET", `/v1/tenants/${TENANT_B}/executions`],
          ["POST", `/v1/tenants/${TENANT_B}/tasks/reporter.daily/run`],
          ["POST", "/v1/admin/rotate-secrets"],
        ] as const
      ) {
        const answer = await f.call(method, path, { token: f.scopedA, body: method === "PUT" ? {} : undefined });
        expectProblem(answer, 403);
        expect(answer.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
      }
      // Unknown tenants answer 403 too for a scoped token: no oracle for other tenants' existence.
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_NEW}`, { token: f.scopedA }), 403);
      expect(f.scheduler.ran).toEqual([]);
    });
  });

  describe("admin auth: asymmetric keys from a JWKS", () => {
    const jwksSetup = async (mode: "jwks" | "both") => {
      const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
      const other = await generateKeyPair("RS256", { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
      let up = true;
      const fetches: string[] = [];
      const auth = createAdminAuth({
        ...(mode === "both" ? { secret: ADMIN_SECRET } : {}),
        jwksUrl: "https://idp.test/.well-known/jwks.json",
        issuer: "https://idp.test/",
        audience: "dvp-admin-api",
        now: () => NOW,
        fetch: (input) => {
          fetches.push(String(input));
          if (!up) return Promise.reject(new TypeError("connection refused"));
          return Promise.resolve(Response.json({ keys: [jwk] }));
        },
      });
      const f = await adminFixture({ auth });
      const claims = { tenants: [TENANT_A], iss: "https://idp.test/", aud: "dvp-admin-api", exp: SECS + 600 };
      const rs256 = (key: CryptoKey, kid = "k1") =>
        new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid }).sign(key);
      return {
        f,
        rs256,
        privateKey,
        other,
        jwk,
        fetches,
        claims,
        pem: await exportSPKI(publicKey),
        down: () => (up = false),
      };
    };

    it("accepts RS256 tokens signed by a key of the JWKS, scoped by their tenants claim", async () => {
      const { f, rs256, privateKey, fetches } = await jwksSetup("jwks");
      const token = await rs256(privateKey);
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`, { token })).status).toBe(200);
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_B}`, { token }), 403);
      expect(fetches).toEqual(["https://idp.test/.well-known/jwks.json"]); // cached after the first
    });

    it("refuses algorithm confusion: HS256 MACed with the RSA public key (PEM or JWK)", async () => {
      for (const mode of ["jwks", "both"] as const) {
        const { f, pem, jwk, claims } = await jwksSetup(mode);
        for (const secret of [pem, JSON.stringify(jwk), jwk.n!]) {
          const forged = await rawHs256(secret, { alg: "HS256", kid: "k1" }, claims);
          await expect401(f, forged);
        }
      }
    });

    it("refuses tokens signed by a key outside the JWKS, and HS256 platform tokens in JWKS-only mode", async () => {
      const { f, rs256, other } = await jwksSetup("jwks");
      await expect401(f, await rs256(other.privateKey));
      await expect401(f, await rs256(other.privateKey, "k2"));
      await expect401(f, f.platform);
    });

    it("with both configured, HS256 tokens use the secret and RS256 tokens the JWKS", async () => {
      const { f, rs256, privateKey } = await jwksSetup("both");
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`, { token: await rs256(privateKey) })).status).toBe(200);
      const hsToken = await signAdminToken(ADMIN_SECRET, {
        tenants: "*",
        now: NOW,
        issuer: "https://idp.test/",
        audience: "dvp-admin-api",
      });
      expect((await f.call("GET", `/v1/tenants/${TENANT_B}`, { token: hsToken })).status).toBe(200);
    });

    it("answers 503 (not 401) when the JWKS cannot be fetched", async () => {
      const { f, rs256, privateKey, down } = await jwksSetup("jwks");
      down();
      const answer = await f.call("GET", `/v1/tenants/${TENANT_A}`, { token: await rs256(privateKey) });
      expectProblem(answer, 503);
      expect(answer.headers.get("retry-after")).toBe("30");
    });

    it("fails at start-up, naming the variable, when the configuration is incomplete", () => {
      expect(() => createAdminAuth({})).toThrow(/DVP_ADMIN_JWT_SECRET/);
      expect(() => createAdminAuth({ secret: "short" })).toThrow(/DVP_ADMIN_JWT_SECRET: must be at least 32 bytes/);
      expect(() => createAdminAuth({ jwksUrl: "https://idp.test/jwks", audience: "a" })).toThrow(
        /DVP_ADMIN_JWT_ISSUER/,
      );
      expect(() => createAdminAuth({ jwksUrl: "https://idp.test/jwks", issuer: "i" })).toThrow(
        /DVP_ADMIN_JWT_AUDIENCE/,
      );
      expect(() => createAdminAuth({ jwksUrl: "not a url", issuer: "i", audience: "a" })).toThrow(
        /DVP_ADMIN_JWKS_URL/,
      );
      // Keys over plain http could be swapped on the way: only for local development.
      expect(() => createAdminAuth({ jwksUrl: "http://idp.test/jwks", issuer: "i", audience: "a" })).toThrow(
        /DVP_ADMIN_JWKS_URL: must be an https URL/,
      );
      expect(() =>
        createAdminAuth({ jwksUrl: "http://127.0.0.1/jwks", issuer: "i", audience: "a", allowInsecureUrls: true })
      ).not.toThrow();
      expect(() => createAdminAuth({ secret: ADMIN_SECRET, clockToleranceSeconds: 600 })).toThrow(/between 30 and 60/);
    });
  });

  describe("admin routes: tenants", () => {
    it("PUT creates (201, Location, the generated whsec_ once), GET never shows it, PUT updates (200)", async () => {
      const f = await setup();
      const created = await f.call("PUT", `/v1/tenants/${TENANT_NEW.toUpperCase()}`, {
        body: { slug: "initech", plan: "enterprise" },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get("location")).toBe(`/v1/tenants/${TENANT_NEW}`); // the id as stored
      expect(created.headers.get("cache-control")).toBe("no-store");
      expect(created.json).toMatchObject({
        id: TENANT_NEW,
        slug: "initech",
        plan: "enterprise",
        webhook_secret_count: 1,
        enabled_plugins: [],
        created_at: new Date(NOW).toISOString(),
      });
      const secret: string = created.json.webhook_secret;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const stored = await f.kernel.webhookSecrets((await f.kernel.getTenant(TENANT_NEW))!);
      expect(stored).toEqual([secret]);

      const got = await f.call("GET", `/v1/tenants/${TENANT_NEW}`);
      expect(got.status).toBe(200);
      expect(got.json).toEqual({ ...created.json, webhook_secret: undefined });
      expect(got.text).not.toContain("whsec_");

      const updated = await f.call("PUT", `/v1/tenants/${TENANT_NEW}`, { body: { slug: "initech", plan: "pro" } });
      expect(updated.status).toBe(200);
      expect(updated.json).toMatchObject({ plan: "pro", webhook_secret_count: 1 });
      expect(updated.text).not.toContain("whsec_");
    });

    it("takes given webhook secrets without echoing them, and lets a scoped token update only its own tenant", async () => {
      const f = await setup();
      const given = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"];
      const created = await f.call("PUT", `/v1/tenants/${TENANT_NEW}`, {
        body: { slug: "initech", plan: "free", webhook_secrets: given },
      });
      expect(created.status).toBe(201);
      expect(created.json.webhook_secret_count).toBe(2);
      expect(created.text).not.toContain("whsec_");
      expect(created.text).not.toContain("MfKQ9r8");

      const own = await f.call("PUT", `/v1/tenants/${TENANT_A}`, {
        token: f.scopedA,
        body: { slug: "acme", plan: "free" },
      });
      expect(own.status).toBe(200);
      const fresh = "ffffffff-ffff-4fff-8fff-ffffffffffff";
      const scopedFresh = await signAdminToken(ADMIN_SECRET, { tenants: [fresh], now: NOW });
      const create = await f.call("PUT", `/v1/tenants/${fresh}`, {
        token: scopedFresh,
        body: { slug: "fresh", plan: "free" },
      });
      expectProblem(create, 403);
      expect(await f.kernel.getTenant(fresh)).toBe(null);
    });

    it("answers 422 with errors [{path, message}] for an invalid tenant body", async () => {
      const f = await setup();
      const bad = await f.call("PUT", `/v1/tenants/${TENANT_NEW}`, {
        body: { slug: "Not A Slug", plan: "gold", webhook_secrets: ["plaintext-secret-value"], extra: 1 },
      });
      expectProblem(bad, 422);
      expect(bad.json.errors).toEqual([{ path: "/extra", message: expect.any(String) }]);
      const bad2 = await f.call("PUT", `/v1/tenants/${TENANT_NEW}`, {
        body: { slug: "Not A Slug", plan: "gold", webhook_secrets: ["plaintext-secret-value"] },
      });
      expectProblem(bad2, 422);
      expect(bad2.json.errors.map((e: { path: string }) => e.path)).toEqual(["/slug", "/plan", "/webhook_secrets/0"]);
      expect(bad2.text).not.toContain("plaintext-secret-value");
      const none = await f.call("PUT", `/v1/tenants/${TENANT_NEW}`, {
        body: { slug: "ok", plan: "pro", webhook_secrets: [] },
      });
      expectProblem(none, 422);
      expect(none.json.errors).toEqual([{
        path: "/webhook_secrets",
        message: "must be a list of 1 to 10 secrets (omit it to keep them)",
      }]);
      for (const body of ["[]", "null", "42", '"text"']) {
        const answer = await f.call("PUT", `/v1/tenants/${TENANT_NEW}`, { body });
        expectProblem(answer, 422);
        expect(answer.json.errors).toEqual([{ path: "", message: "must be an object" }]);
      }
      expect(await f.kernel.getTenant(TENANT_NEW)).toBe(null);
    });

    it("answers 404 after auth for unknown tenants, non-UUID ids and path tricks", async () => {
      const f = await setup();
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_NEW}`), 404);
      for (const id of ["acme", "1", "..%2F..%2Fplugins", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa%00", "%20"]) {
        expectProblem(await f.call("GET", `/v1/tenants/${id}`), 404);
        expectProblem(await f.call("GET", `/v1/tenants/${id}/plugins`), 404);
        expectProblem(await f.call("GET", `/v1/tenants/${id}`, { token: null }), 401);
      }
    });
  });

  describe("admin routes: request bodies", () => {
    const path = `/v1/tenants/${TENANT_A}/plugins/my-plugin/config`;
    it("415 for a missing or non-JSON content type", async () => {
      const f = await setup();
      expectProblem(
        await f.call("PUT", path, { body: "api_endpoint=x", headers: { "content-type": "text/plain" } }),
        415,
      );
      expectProblem(
        await f.call("PUT", path, { body: "{}", headers: { "content-type": "application/x-www-form-urlencoded" } }),
        415,
      );
      const none = await f.app.request(`http://admin.test${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${f.platform}` },
        body: new Uint8Array([123, 125]),
      });
      expect(none.status).toBe(415);
      expect(
        (await f.call("PUT", path, {
          body: { api_endpoint: "https://a.example" },
          headers: { "content-type": "application/merge-patch+json; charset=utf-8" },
        })).status,
      ).toBe(200);
    });

    it("400 for malformed JSON (without quoting the body), empty bodies, bad UTF-8 and 10,000-deep nesting", async () => {
      const f = await setup();
      const leaky = `{"api_key": "${API_KEY}"`;
      const answer = await f.call("PUT", `/v1/tenants/${TENANT_A}/plugins/vault/secrets`, { body: leaky });
      expectProblem(answer, 400);
      expect(answer.text).not.toContain(API_KEY);
      expect(answer.text).not.toContain("sk_live");
      expectProblem(await f.call("PUT", path, { body: "" }), 400);
      expectProblem(await f.call("PUT", path, { body: "   " }), 400);
      expectProblem(await f.call("PUT", path, { body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }), 400);
      const deep = "[".repeat(10_000) + "]".repeat(10_000);
      expectProblem(await f.call("PUT", path, { body: deep }), 400);
      const deepObject = '{"a":'.repeat(10_000) + "1" + "}".repeat(10_000);
      expectProblem(await f.call("PUT", path, { body: deepObject }), 400);
    });

    it("413 for a body over 256 KiB, declared or streamed", async () => {
      const f = await setup();
      const big = JSON.stringify({ api_endpoint: "https://a.example", pad: "x".repeat(300 * 1024) });
      const answer = await f.call("PUT", path, { body: big });
      expectProblem(answer, 413);
      // No Content-Length: the limit is enforced while reading the stream.
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 2 * 1024 * 1024) return controller.close();
          sent += 64 * 1024;
          controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        },
      });
      const streamed = await f.app.request(`http://admin.test${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${f.platform}`, "content-type": "application/json" },
        body: stream,
        // @ts-ignore: Node's fetch needs this for a stream body; other runtimes ignore it
        duplex: "half",
      });
      expect(streamed.status).toBe(413);
      expect(sent).toBeLessThan(2 * 1024 * 1024); // stopped reading early
    });
  });

  describe("admin routes: plugins", () => {
    it("GET /v1/plugins lists every registered plugin with its schemas, for any valid token", async () => {
      const f = await setup();
      const answer = await f.call("GET", "/v1/plugins", { token: f.scopedA });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
      expect(answer.json.plugins.map((p: { name: string }) => p.name)).toEqual(["my-plugin", "vault", "reporter"]);
      expect(answer.json.plugins[0]).toEqual({
        name: "my-plugin",
        version: "1.0.0",
        description: "Does something useful when content is published",
        author: "Your Name",
        hooks: ["contentPublished"],
        config_schema: expect.objectContaining({ required: ["api_endpoint"] }),
        secrets_schema: expect.objectContaining({ type: "object" }),
      });
      expect(answer.json.plugins[2].hooks).toEqual(["scheduledTasks"]);
      expectProblem(await f.call("GET", "/v1/plugins", { token: null }), 401);
    });

    it("config: 200 with defaults applied, 422 with errors, 404 for an unknown plugin or tenant", async () => {
      const f = await setup();
      const base = `/v1/tenants/${TENANT_A}/plugins`;
      const ok = await f.call("PUT", `${base}/my-plugin/config`, { body: { api_endpoint: "https://api.example.com" } });
      expect(ok.status).toBe(200);
      expect(ok.json).toEqual({ api_endpoint: "https://api.example.com", timeout_seconds: 30 });
      expect((await f.call("GET", `${base}/my-plugin/config`)).json).toEqual(ok.json);

      const bad = await f.call("PUT", `${base}/my-plugin/config`, { body: { timeout_seconds: 0, surprise: true } });
      expectProblem(bad, 422);
      expect(bad.json.errors.length).toBeGreaterThan(0);
      for (const e of bad.json.errors) expect(e).toEqual({ path: expect.any(String), message: expect.any(String) });
      expect(bad.json.errors.map((e: { path: string }) => e.path)).toContain("/timeout_seconds");
      expect(await f.kernel.getConfig(TENANT_A, "my-plugin")).toEqual(ok.json); // unchanged

      expectProblem(await f.call("PUT", `${base}/nope/config`, { body: {} }), 404);
      expectProblem(await f.call("GET", `${base}/nope`), 404);
      expectProblem(await f.call("PUT", `/v1/tenants/${TENANT_NEW}/plugins/my-plugin/config`, { body: {} }), 404);
    });

    it("enable: 422 with errors while config is missing, then 200; disable keeps the config", async () => {
      const f = await setup();
      const base = `/v1/tenants/${TENANT_A}/plugins/my-plugin`;
      const refused = await f.call("POST", `${base}/enable`);
      expectProblem(refused, 422);
      expect(refused.json.errors).toEqual([{ path: "/api_endpoint", message: "is required" }]);
      expect(await f.kernel.isEnabled(TENANT_A, "my-plugin")).toBe(false);

      await f.call("PUT", `${base}/config`, { body: { api_endpoint: "https://api.example.com" } });
      const enabled = await f.call("POST", `${base}/enable`, { token: f.scopedA });
      expect(enabled.status).toBe(200);
      expect(enabled.json).toEqual({ enabled: true });
      expect((await f.call("GET", `/v1/tenants/${TENANT_A}`)).json.enabled_plugins).toEqual(["my-plugin"]);
      const disabled = await f.call("POST", `${base}/disable`);
      expect(disabled.json).toEqual({ enabled: false });
      const view = await f.call("GET", base);
      expect(view.json).toMatchObject({ enabled: false, config: { api_endpoint: "https://api.example.com" } });
      expectProblem(await f.call("POST", `/v1/tenants/${TENANT_A}/plugins/nope/enable`), 404);
      expectProblem(await f.call("POST", `/v1/tenants/${TENANT_NEW}/plugins/my-plugin/disable`), 404);
    });

    it("enable: 422 naming each secret SECRETS_SCHEMA requires until it is set, then 200", async () => {
      const f = await setup();
      const base = `/v1/tenants/${TENANT_A}/plugins/vault`;
      const refused = await f.call("POST", `${base}/enable`);
      expectProblem(refused, 422);
      expect(refused.json.detail).toBe("plugin vault cannot be enabled until its secrets are set: api_key");
      expect(refused.json.errors).toEqual([{ path: "/secrets/api_key", message: "must be set (a required secret)" }]);
      expect(await f.kernel.isEnabled(TENANT_A, "vault")).toBe(false);
      // Another secret does not stand in for the required one (and SECRETS_SCHEMA refuses it alone).
      expectProblem(await f.call("PUT", `${base}/secrets`, { body: { webhook_token: WEBHOOK_TOKEN } }), 422);
      expectProblem(await f.call("POST", `${base}/enable`), 422);

      expect((await f.call("PUT", `${base}/secrets`, { body: { api_key: API_KEY } })).status).toBe(204);
      const enabled = await f.call("POST", `${base}/enable`);
      expect(enabled.status).toBe(200);
      expect(enabled.json).toEqual({ enabled: true });
    });

    it("secrets: a 40,000-character value is kept and scrubbed, and the API goes on answering", async () => {
      const f = await setup();
      const huge = `https://hooks.example.com/${"b".repeat(40_000)}`;
      const base = `/v1/tenants/${TENANT_A}/plugins/vault`;
      expect((await f.call("PUT", `${base}/secrets`, { body: { api_key: huge } })).status).toBe(204);
      expect((await f.kernel.getSecrets(TENANT_A, "vault")).require("api_key")).toBe(huge);
      f.kernel.logger.error(`a plugin quoting ${huge}`);
      expect(f.lines.at(-1)).toContain("a plugin quoting [redacted]");
      expect((await f.call("PUT", `${base}/secrets`, { body: { api_key: API_KEY } })).status).toBe(204);
      expect((await f.call("GET", `/v1/tenants/${TENANT_B}`)).status).toBe(200);
      expect(f.lines.join("\n")).not.toContain("bbbbbbbbbbbbbbbbbbbb");
    });

    it("secrets: 204, masked as {name: 'set'}, cleared with null, 422 on bad values, never echoed anywhere", async () => {
      const f = await setup();
      const base = `/v1/tenants/${TENANT_A}/plugins/vault`;
      const put = await f.call("PUT", `${base}/secrets`, { body: { api_key: API_KEY, webhook_token: WEBHOOK_TOKEN } });
      expect(put.status).toBe(204);
      expect(put.text).toBe("");
      expect((await f.kernel.getSecrets(TENANT_A, "vault")).require("api_key")).toBe(API_KEY);

      expect((await f.call("GET", `${base}/secrets`)).json).toEqual({ api_key: "set", webhook_token: "set" });
      const list = await f.call("GET", `/v1/tenants/${TENANT_A}/plugins`);
      expect(list.json.plugins).toEqual([
        {
          name: "my-plugin",
          version: "1.0.0",
          enabled: false,
          config: null,
          config_status: "needs_configuration", // never configured, and api_endpoint is required
          config_errors: [{ path: "/api_endpoint", message: "is required" }],
          secrets: {},
          updated_at: null,
        },
        expect.objectContaining({ name: "vault", enabled: false, secrets: { api_key: "set", webhook_token: "set" } }),
        expect.objectContaining({ name: "reporter", secrets: {} }),
      ]);

      expect((await f.call("PUT", `${base}/secrets`, { body: { webhook_token: null } })).status).toBe(204);
      expect((await f.call("GET", `${base}/secrets`)).json).toEqual({ api_key: "set" });

      const wrongType = await f.call("PUT", `${base}/secrets`, { body: { api_key: 12345678901 } });
      expectProblem(wrongType, 422);
      expect(wrongType.json.errors).toEqual([{ path: "/api_key", message: "must be a string (set) or null (clear)" }]);
      const tooShort = await f.call("PUT", `${base}/secrets`, { body: { api_key: "sk_abc" } });
      expectProblem(tooShort, 422);
      expect(tooShort.text).not.toContain("sk_abc");
      const cleared = await f.call("PUT", `${base}/secrets`, { body: { api_key: null } });
      expectProblem(cleared, 422); // api_key is required by SECRETS_SCHEMA
      expectProblem(await f.call("PUT", `${base}/secrets`, { body: [API_KEY] }), 422);
      expect((await f.kernel.getSecrets(TENANT_A, "vault")).require("api_key")).toBe(API_KEY); // unchanged

      for (const text of [...f.transcript, ...f.lines]) {
        expect(text).not.toContain(API_KEY);
        expect(text).not.toContain(WEBHOOK_TOKEN);
      }
      // Each change leaves an audit line: who, what, how it ended; never the body.
      const records = f.lines.map((line) => JSON.parse(line));
      const audit = records.filter((r) => r.msg === "admin change");
      expect(audit).toContainEqual(expect.objectContaining({
        subject: "admin",
        method: "PUT",
        path: `/v1/tenants/${TENANT_A}/plugins/vault/secrets`,
        status: 204,
      }));
      expect(audit.every((r) => r.status < 400)).toBe(true);
      const refused = records.filter((r) => r.msg === "admin change refused");
      expect(refused).toContainEqual(expect.objectContaining({ method: "PUT", status: 422 }));
    });
  });

  describe("admin routes: tasks, executions, health", () => {
    it("GET tasks: schedule, schedule text, next run and last result in snake_case", async () => {
      const f = await setup();
      await f.kernel.history.record({
        tenantId: TENANT_A,
        kind: "task",
        plugin: "reporter",
        name: "reporter.daily",
        status: "succeeded",
        final: true,
        durationMs: 120,
        attempt: 1,
        scheduledTime: "2026-03-01T05:00:00.000Z",
        data: { pages: 3 },
      });
      const answer = await f.call("GET", `/v1/tenants/${TENANT_A}/tasks`, { token: f.scopedA });
      expect(answer.status).toBe(200);
      expect(answer.json.tasks).toEqual([{
        task_id: "reporter.daily",
        plugin: "reporter",
        name: "Daily report",
        description: "Builds the daily report",
        schedule: { cron_expression: "0 6 * * *", timezone: "Europe/Berlin" },
        schedule_text: "every day at 06:00 (Europe/Berlin)",
        next_run_at: "2026-03-02T05:00:00.000Z",
        max_retries: 3,
        timeout_seconds: 300,
        last_result: expect.objectContaining({
          kind: "task",
          status: "succeeded",
          duration_ms: 120,
          scheduled_time: "2026-03-01T05:00:00.000Z",
          data: { pages: 3 },
        }),
      }]);
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_NEW}/tasks`), 404);
    });

    it("POST run: 200 TaskResult in snake_case; unknown task → 404", async () => {
      const f = await setup();
      const ran = await f.call("POST", `/v1/tenants/${TENANT_A}/tasks/reporter.daily/run`, { token: f.scopedA });
      expect(ran.status).toBe(200);
      expect(ran.json).toEqual({
        success: true,
        data: { pages: 3, someKey: "kept as is" },
        error_message: null,
        duration_ms: 12,
      });
      expect(f.scheduler.ran).toEqual([`${TENANT_A}/reporter.daily`]);
      const unknown = await f.call("POST", `/v1/tenants/${TENANT_A}/tasks/reporter.weekly/run`);
      expectProblem(unknown, 404);
      expect(unknown.json.detail).toBe("task reporter.weekly does not exist");
      expectProblem(await f.call("POST", `/v1/tenants/${TENANT_NEW}/tasks/reporter.daily/run`), 404);
    });

    it("POST replay: runs an event again for its failed plugins (or the named ones), recorded anew", async () => {
      const f = await setup();
      await f.call("PUT", `/v1/tenants/${TENANT_A}/plugins/my-plugin/config`, {
        body: { api_endpoint: "https://api.example.com" },
      });
      await f.call("POST", `/v1/tenants/${TENANT_A}/plugins/my-plugin/enable`);
      const plugin = f.kernel.registry.require("my-plugin").plugin as unknown as Record<string, unknown>;
      let failures = 1;
      const calls: string[] = [];
      plugin.contentPublished = (_ctx: unknown, contentId: string) => {
        calls.push(contentId);
        if (failures-- > 0) throw new Error("upstream down");
      };
      const event = {
        id: "msg_replay_1",
        tenantId: TENANT_A,
        type: "content.published" as const,
        timestamp: new Date(NOW).toISOString(),
        contentId: "post-7",
        content: { title: "t" },
        receivedAt: new Date(NOW).toISOString(),
      };
      expect(await f.events.accept(event)).toBe("accepted");
      await f.events.idle();
      const finals = async () =>
        (await f.call("GET", `/v1/tenants/${TENANT_A}/executions?kind=hook`)).json.executions
          .filter((e: { final: boolean }) => e.final).map((e: { status: string }) => e.status);
      expect(await finals()).toEqual(["failed"]);

      const path = `/v1/tenants/${TENANT_A}/events/msg_replay_1/replay`;
      const replayed = await f.call("POST", path, { token: f.scopedA });
      expect(replayed.status).toBe(202);
      expect(replayed.json).toEqual({ event_id: "msg_replay_1", replayed: ["my-plugin"] });
      expect(calls).toEqual(["post-7", "post-7"]);
      f.clock.ms += 1000;
      expect((await finals()).sort()).toEqual(["failed", "succeeded"]);
      // Nothing failed any more: nothing to replay, unless a plugin is named.
      expect((await f.call("POST", path)).json).toEqual({ event_id: "msg_replay_1", replayed: [] });
      const named = await f.call("POST", path, { body: { plugins: ["my-plugin"] } });
      expect(named.status).toBe(202);
      expect(calls).toHaveLength(3);

      expectProblem(await f.call("POST", `/v1/tenants/${TENANT_A}/events/msg_unknown/replay`), 404);
      const bad = await f.call("POST", path, { body: { plugins: "my-plugin" } });
      expectProblem(bad, 422);
      expect(bad.json.errors).toEqual([{ path: "/plugins", message: "must be an array of 1 to 100 plugin names" }]);
      expectProblem(await f.call("POST", path, { body: { plugins: ["nope"] } }), 404);
      expectProblem(await f.call("POST", path, { body: "{" }), 400);
      expect((await f.call("POST", `/v1/tenants/${TENANT_B}/events/msg_replay_1/replay`, { token: f.scopedA })).status)
        .toBe(403);
      const wrongMethod = await f.call("GET", path);
      expectProblem(wrongMethod, 405);
      expect(wrongMethod.headers.get("allow")).toBe("POST");
      expect(calls).toHaveLength(3);
    });

    it("GET executions: newest first, limit 1-500 (else 400), kind and plugin filters", async () => {
      const f = await setup();
      for (const [i, kind] of (["hook", "task", "hook", "health"] as const).entries()) {
        f.clock.ms = NOW + i * 1000;
        await f.kernel.history.record({
          tenantId: TENANT_A,
          kind,
          plugin: kind === "hook" ? "my-plugin" : "reporter",
          name: `n${i}`,
          status: i === 2 ? "failed" : "succeeded",
          final: true,
          ...(i === 2 ? { error: "upstream answered 502", eventId: "msg_1", correlationId: "corr-9" } : {}),
        });
      }
      f.clock.ms = NOW;
      const all = await f.call("GET", `/v1/tenants/${TENANT_A}/executions`);
      expect(all.status).toBe(200);
      expect(all.json.executions.map((e: { name: string }) => e.name)).toEqual(["n3", "n2", "n1", "n0"]);
      expect(all.json.executions[1]).toMatchObject({
        kind: "hook",
        plugin: "my-plugin",
        status: "failed",
        error: "upstream answered 502",
        event_id: "msg_1",
        correlation_id: "corr-9",
        final: true,
      });
      const one = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?limit=1`);
      expect(one.json.executions.map((e: { name: string }) => e.name)).toEqual(["n3"]);
      const hooks = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?kind=hook&limit=500`);
      expect(hooks.json.executions.map((e: { name: string }) => e.name)).toEqual(["n2", "n0"]);
      const byPlugin = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?plugin=reporter`);
      expect(byPlugin.json.executions.map((e: { name: string }) => e.name)).toEqual(["n3", "n1"]);
      for (const limit of ["0", "501", "-1", "abc", "1.5", "", "1e2", "99999999999"]) {
        const bad = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?limit=${limit}`);
        expectProblem(bad, 400);
        expect(bad.json.errors).toEqual([{ path: "limit", message: "must be an integer from 1 to 500" }]);
      }
      const failed = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?status=failed`);
      expect(failed.json.executions.map((e: { name: string }) => e.name)).toEqual(["n2"]);
      const hookOk = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?kind=hook&status=succeeded`);
      expect(hookOk.json.executions.map((e: { name: string }) => e.name)).toEqual(["n0"]);
      const none = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?plugin=reporter&status=failed`);
      expect(none.json.executions).toEqual([]);
      const first = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?limit=3`);
      expect(first.json.executions.map((e: { name: string }) => e.name)).toEqual(["n3", "n2", "n1"]);
      const rest = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?limit=3&before=${first.json.next_before}`);
      expect(rest.json).toEqual({ executions: [expect.objectContaining({ name: "n0" })] }); // the last page: no next_before
      for (const before of ["", "x", "0000000000001", `${first.json.next_before} `]) {
        const bad = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?before=${encodeURIComponent(before)}`);
        expectProblem(bad, 400);
        expect(bad.json.errors).toEqual([{ path: "before", message: "must be a next_before of an earlier answer" }]);
      }
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_A}/executions?kind=cron`), 400);
      for (const status of ["done", "", "FAILED"]) {
        const bad = await f.call("GET", `/v1/tenants/${TENANT_A}/executions?status=${status}`);
        expectProblem(bad, 400);
        expect(bad.json.errors).toEqual([
          { path: "status", message: "must be one of succeeded, failed, timed_out, skipped, retrying" },
        ]);
      }
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_A}/executions?plugin=nope`), 404);
      expect((await f.call("GET", `/v1/tenants/${TENANT_B}/executions`)).json.executions).toEqual([]);
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_NEW}/executions`), 404);
    });

    it("GET health: latest result per check with its history", async () => {
      const f = await setup();
      const answer = await f.call("GET", `/v1/tenants/${TENANT_A}/health`, { token: f.scopedA });
      expect(answer.status).toBe(200);
      const latest = {
        plugin: "reporter",
        check_type: "http",
        target: "https://example.com",
        status: "healthy",
        latency_ms: 42,
        details: { statusCode: 200 },
        checked_at: "2026-03-01T11:55:00.000Z",
      };
      expect(answer.json).toEqual({
        checks: [{
          plugin: "reporter",
          check_type: "http",
          target: "https://example.com",
          status: "healthy",
          uptime: 1,
          latest,
          history: [latest],
        }],
      });
      expectProblem(await f.call("GET", `/v1/tenants/${TENANT_NEW}/health`), 404);
    });
  });

  describe("admin routes: with the real scheduler", () => {
    it("enable schedules the task; GET tasks, POST run (correlated, recorded), disable unschedules it", async () => {
      const f = await setupReal();
      const base = `/v1/tenants/${TENANT_A}`;
      expect((await f.call("GET", `${base}/tasks`)).json).toEqual({ tasks: [] });
      expectProblem(await f.call("POST", `${base}/tasks/reporter.daily/run`), 404);

      expect((await f.call("POST", `${base}/plugins/reporter/enable`)).json).toEqual({ enabled: true });
      const listed = await f.call("GET", `${base}/tasks`, { token: f.scopedA });
      expect(listed.status).toBe(200);
      expect(listed.json.tasks).toEqual([expect.objectContaining({
        task_id: "reporter.daily",
        plugin: "reporter",
        name: "Daily report",
        schedule: { cron_expression: "0 6 * * *", timezone: "UTC" },
        schedule_text: expect.stringMatching(/06:00/),
        next_run_at: "2026-03-02T06:00:00.000Z",
        last_result: null,
      })]);

      const ran = await f.call("POST", `${base}/tasks/reporter.daily/run`, {
        headers: { "x-correlation-id": "corr-run-1" },
      });
      expect(ran.status).toBe(200);
      expect(ran.json).toEqual({
        success: true,
        data: { pages: 3 },
        error_message: null,
        duration_ms: expect.any(Number),
      });
      const after = (await f.call("GET", `${base}/tasks`)).json.tasks[0];
      expect(after.last_result).toMatchObject({ kind: "task", status: "succeeded", correlation_id: "corr-run-1" });
      const history = await f.call("GET", `${base}/executions?kind=task`);
      expect(history.json.executions).toEqual([
        expect.objectContaining({ plugin: "reporter", name: "reporter.daily", status: "succeeded", final: true }),
      ]);
      expectProblem(await f.call("POST", `${base}/tasks/reporter.weekly/run`), 404);

      await f.call("POST", `${base}/plugins/reporter/disable`);
      expectProblem(await f.call("POST", `${base}/tasks/reporter.daily/run`), 404);
      expect((await f.call("GET", `/v1/tenants/${TENANT_B}/tasks`)).json).toEqual({ tasks: [] });
      expect((await f.call("GET", `${base}/health`)).json).toEqual({ checks: [] });
    });
  });

  describe("admin routes: platform and failures", () => {
    it("POST /v1/admin/rotate-secrets re-encrypts every secret (platform token) and reports counts", async () => {
      const f = await setup();
      await f.kernel.setSecrets(TENANT_A, "vault", { api_key: API_KEY });
      const answer = await f.call("POST", "/v1/admin/rotate-secrets");
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ tenants: 2, reencrypted: 0, failed: [] }); // already under the primary key
      expectProblem(await f.call("POST", "/v1/admin/rotate-secrets", { token: f.scopedA }), 403);
      expectProblem(await f.call("POST", "/v1/admin/rotate-secrets", { token: null }), 401);
    });

    it("405 with Allow for a wrong method; unexpected failures → 500 without details", async () => {
      const f = await setup();
      const wrong = await f.call("DELETE", `/v1/tenants/${TENANT_A}`);
      expectProblem(wrong, 405);
      expect(wrong.headers.get("allow")).toBe("GET, PUT");
      expect((await f.call("GET", "/v1/admin/rotate-secrets")).headers.get("allow")).toBe("POST");
      expect((await f.call("HEAD", `/v1/tenants/${TENANT_A}`)).status).toBe(200);

      f.scheduler.fail = true;
      const boom = await f.call("GET", `/v1/tenants/${TENANT_A}/tasks`);
      expectProblem(boom, 500);
      expect(boom.json.detail).toBe("the request could not be completed");
      expect(boom.text).not.toContain("exploded");
      expect(boom.text).not.toContain("sk_live_do_not_show");
    });

    it("leaves sibling /v1 routes (the webhooks) to their own authentication", async () => {
      const f = await setup();
      const answer = await f.call("POST", `/v1/tenants/${TENANT_A}/filters/content.before_create`, {
        token: null,
        body: {},
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ sibling: true });
    });
  });
}
