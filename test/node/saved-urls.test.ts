/**
 * Tenant URLs are checked when config and secrets are saved, by the guard that checks them at
 * each call: the admin API answers 422 naming the field, for every `format: "uri"` field and the
 * URLs plugins report (a key file's token_uri, a monitored domain). DVP_ALLOW_INSECURE_URLS lets
 * http and local hosts through, as it does at call time; other schemes never pass.
 */
import { describe, expect, it } from "vitest";
import { signAdminToken } from "../../src/http/auth.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime } from "../../src/runtime.ts";
import { bundledPlugins } from "../../plugins/index.ts";

const TENANT = "0a0a0a0a-1111-4111-8111-000000000001";
const SECRET = "saved-urls-admin-secret-0123456789abcdef";

async function admin(insecure: boolean) {
  const runtime = createRuntime({
    env: {
      DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
      DVP_ADMIN_JWT_SECRET: SECRET,
      DVP_LOG_LEVEL: "error",
      ...(insecure ? { DVP_ALLOW_INSECURE_URLS: "true" } : {}),
    },
    driver: createMemoryDriver(),
    plugins: (settings) => bundledPlugins({ allowInsecureUrls: settings.allowInsecureUrls }),
    logSink: () => {},
  });
  const token = await signAdminToken(SECRET, { tenants: "*" });
  const put = async (path: string, body: unknown) => {
    const response = await runtime.fetch(
      new Request(`http://kernel.test/v1${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      json: text ? JSON.parse(text) : undefined,
      text,
    };
  };
  expect((await put(`/tenants/${TENANT}`, { slug: "acme", plan: "pro" })).status).toBeLessThan(300);
  return put;
}

const config = (plugin: string) => `/tenants/${TENANT}/plugins/${plugin}/config`;
const secrets = (plugin: string) => `/tenants/${TENANT}/plugins/${plugin}/secrets`;
const account = (tokenUri: string) =>
  JSON.stringify({
    type: "service_account",
    client_email: "x@p.iam.gserviceaccount.com",
    private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    token_uri: tokenUri,
  });

const REFUSED: [string, string, unknown, string, RegExp][] = [
  [
    "netlify hook on loopback",
    secrets("netlify-deployer"),
    {
      build_hook_url: "https://127.0.0.1/build_hooks/x",
    },
    "/build_hook_url",
    /loopback/,
  ],
  [
    "vercel hook with file:",
    secrets("vercel-deployer"),
    {
      deploy_hook_url: "file:///etc/passwd",
    },
    "/deploy_hook_url",
    /scheme file:/,
  ],
  [
    "S3 endpoint on the metadata address",
    config("s3-static-deployer"),
    {
      bucket: "site-bucket",
      region: "us-east-1",
      endpoint: "https://169.254.169.254/",
    },
    "/endpoint",
    /link-local/,
  ],
  [
    "monitor URL with gopher:",
    config("domain-health-monitor"),
    {
      domains: [{ domain: "www.acme.com", url: "gopher://www.acme.com/" }],
    },
    "/domains/0/url",
    /scheme gopher:/,
  ],
  [
    "monitored domain localhost",
    config("domain-health-monitor"),
    {
      domains: [{ domain: "www.acme.com" }, { domain: "localhost" }],
    },
    "/domains/1/domain",
    /domain is not an allowed URL: localhost is an internal host name/,
  ],
  [
    "token_uri on a private address",
    secrets("gsc-integration"),
    {
      service_account_json: account("https://10.0.0.5/token"),
    },
    "/service_account_json",
    /token_uri is not an allowed URL: 10\.0\.0\.5 is a private/,
  ],
];

describe("URLs checked when saved", () => {
  for (const [what, path, body, field, message] of REFUSED) {
    it(`refuses ${what} with 422 naming ${field}`, async () => {
      const put = await admin(false);
      const answer = await put(path, body);
      expect(answer.status).toBe(422);
      expect(answer.type).toBe("application/problem+json");
      expect(answer.json.errors).toEqual([{ path: field, message: expect.stringMatching(message) }]);
      if (path.endsWith("/secrets")) expect(answer.text).not.toContain("BEGIN PRIVATE KEY");
    });
  }

  it("accepts public https URLs", async () => {
    const put = await admin(false);
    expect(
      (await put(secrets("netlify-deployer"), { build_hook_url: "https://api.netlify.com/build_hooks/abc" })).status,
    )
      .toBeLessThan(300);
    expect(
      (await put(config("domain-health-monitor"), {
        domains: [{ domain: "www.acme.com", url: "https://acme.com/up" }],
      }))
        .status,
    ).toBeLessThan(300);
    expect(
      (await put(secrets("gsc-integration"), { service_account_json: account("https://oauth2.googleapis.com/token") }))
        .status,
    ).toBeLessThan(300);
  });

  it("with DVP_ALLOW_INSECURE_URLS, lets http and loopback through (local fakes) but no other scheme", async () => {
    const put = await admin(true);
    expect((await put(secrets("netlify-deployer"), { build_hook_url: "http://127.0.0.1:8787/build_hooks/x" })).status)
      .toBeLessThan(300);
    expect(
      (await put(secrets("gsc-integration"), { service_account_json: account("http://localhost:9/token") }))
        .status,
    ).toBeLessThan(300);
    const refused = await put(secrets("vercel-deployer"), { deploy_hook_url: "gopher://127.0.0.1/x" });
    expect(refused.status).toBe(422);
    expect(refused.json.errors).toEqual([{ path: "/deploy_hook_url", message: expect.stringMatching(/gopher:/) }]);
  });
});
