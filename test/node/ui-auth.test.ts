/** Dashboard sign-in, session cookie flags, CSRF on every post, sign-out, tenant scoping, headers. */
import { beforeEach, describe, expect, it } from "vitest";
import { Browser, csrfFrom, ORIGIN, setupDashboard, TENANT_A, TENANT_B } from "../browser/ui-setup.ts";

let env: Awaited<ReturnType<typeof setupDashboard>>;
let browser: Browser;
beforeEach(async () => {
  env = await setupDashboard();
  browser = new Browser(env.app);
});

describe("sign-in", () => {
  it("redirects to the sign-in page, remembering where you were going", async () => {
    const res = await browser.get(`/admin/tenants/${TENANT_A}/plugins`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(
      `/admin/login?reason=signin&next=${encodeURIComponent(`/admin/tenants/${TENANT_A}/plugins`)}`,
    );
  });

  it("sets an HttpOnly, Secure, SameSite=Strict __Host- session cookie that ends with the token", async () => {
    const token = await env.token("*", 1800);
    const res = await browser.signIn(token);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/tenants");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-dvp_admin="))!;
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)![1]);
    expect(maxAge).toBeGreaterThan(1790);
    expect(maxAge).toBeLessThanOrEqual(1800);
    const page = await (await browser.get("/admin/tenants")).text();
    expect(page).toContain("acme");
    expect(page).toContain("Signed in as <strong>ops@dvp.test</strong>");
  });

  it("caps the session at 12 hours for long-lived tokens", async () => {
    const res = await browser.signIn(await env.token("*", 30 * 86_400));
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("__Host-dvp_admin="))!;
    expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBe(12 * 3600);
  });

  it("refuses bad tokens at the token field, without setting a session", async () => {
    for (
      const [token, message] of [
        ["", "Paste an admin token."],
        ["not a jwt", "This is not a JWT"],
        [(await env.token()).slice(0, -3) + "AAA", "token signature is invalid"],
        [await env.token("*", -120), "token expired"],
        [
          await env.token(
            Array.from({ length: 120 }, (_, i) => `0a0a0a0a-0000-4000-8000-${String(i).padStart(12, "0")}`),
          ),
          "too large to keep in a cookie",
        ],
      ] as const
    ) {
      const res = await browser.signIn(token);
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).toContain(message);
      expect(html).toMatch(/id="token"[^>]*aria-describedby="token-help token-error" aria-invalid="true"/);
      expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
    }
  });

  it("the sign-in form itself needs the double-submit cookie and a same-origin post (login CSRF)", async () => {
    const token = await env.token();
    const page = await (await browser.get("/admin/login")).text();
    const csrf = csrfFrom(page)!;
    const cross = await browser.request("/admin/login", {
      method: "POST",
      form: { csrf, token },
      headers: { origin: "https://evil.example" },
    });
    expect(cross.status).toBe(403);
    const stranger = new Browser(env.app); // no login cookie
    const forged = await stranger.request("/admin/login", { method: "POST", form: { csrf, token } });
    expect(forged.status).toBe(403);
    expect(stranger.cookies.has("__Host-dvp_admin")).toBe(false);
  });

  it("tells a script that posts the sign-in form without an Origin header why it is refused", async () => {
    const token = await env.token();
    const csrf = csrfFrom(await (await browser.get("/admin/login")).text())!;
    const res = await env.app.request(`${ORIGIN}/admin/login`, {
      method: "POST",
      headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      body: new URLSearchParams({ csrf, token }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("no Origin header");
  });

  it("only redirects to paths inside the dashboard after sign-in", async () => {
    const token = await env.token();
    for (
      const [next, expected] of [
        [`/admin/tenants/${TENANT_A}`, `/admin/tenants/${TENANT_A}`],
        ["https://evil.example/", "/admin/tenants"],
        ["//evil.example/admin/", "/admin/tenants"],
        ["/admin/../v1/x", "/admin/tenants"],
        ["/admin/%2e%2e/v1/x", "/admin/tenants"],
        ["/v1/plugins", "/admin/tenants"],
      ] as const
    ) {
      const b = new Browser(env.app);
      const page = await (await b.get("/admin/login")).text();
      const res = await b.request("/admin/login", { method: "POST", form: { csrf: csrfFrom(page)!, token, next } });
      expect(res.headers.get("location")).toBe(expected);
    }
  });

  it("an expired session goes back to sign-in and the cookie is cleared", async () => {
    let now = Date.now();
    env = await setupDashboard({ now: () => now });
    browser = new Browser(env.app);
    await browser.signIn(await env.token("*", 600));
    expect((await browser.get("/admin/tenants")).status).toBe(200);
    now += 3600_000;
    const res = await browser.get("/admin/tenants");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/admin\/login\?reason=expired/);
    expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
  });

  it("a session cookie that is not a valid token is called invalid, not expired, and cleared", async () => {
    env = await setupDashboard();
    browser = new Browser(env.app);
    for (const garbage of ["garbage", `${(await env.token("*", 600)).slice(0, -4)}AAAA`]) {
      browser.cookies.set("__Host-dvp_admin", garbage);
      const res = await browser.get("/admin/tenants");
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/admin\/login\?reason=invalid/);
      expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
    }
    expect(await (await browser.get("/admin/login?reason=invalid")).text()).toContain("Your session is not valid here");
  });

  it("a token inside the verifier's clock tolerance past exp still ends the session, without a redirect loop", async () => {
    let now = Date.now();
    env = await setupDashboard({ now: () => now });
    browser = new Browser(env.app);
    await browser.signIn(await env.token("*", 600));
    now += 630_000; // 30 s past exp: the verifier's 60 s tolerance still accepts the token
    const res = await browser.get("/admin/tenants");
    expect(res.headers.get("location")).toMatch(/^\/admin\/login\?reason=expired/);
    expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
    expect((await browser.get("/admin/login?reason=expired")).status).toBe(200);
  });

  it("signs out with a CSRF-protected post", async () => {
    await browser.signIn(await env.token());
    expect((await browser.request("/admin/logout", { method: "POST", form: {} })).status).toBe(403);
    const res = await browser.post("/admin/logout", {}, "/admin/tenants");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login?reason=signedout");
    expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
    expect((await browser.get("/admin/tenants")).status).toBe(303);
  });
});

describe("CSRF on every form post", () => {
  const posts = [
    `/admin/tenants/${TENANT_A}/plugins/demo-monitor/enable`,
    `/admin/tenants/${TENANT_A}/plugins/demo-monitor/disable`,
    `/admin/tenants/${TENANT_A}/plugins/demo-site/config`,
    `/admin/tenants/${TENANT_A}/plugins/demo-site/secrets`,
    `/admin/tenants/${TENANT_A}/tasks/demo-site.sync/run`,
    `/admin/tenants/${TENANT_A}/health/run`,
    "/admin/logout",
  ];

  it("refuses a post without the token, with a wrong token, or from another origin", async () => {
    await browser.signIn(await env.token());
    const good = csrfFrom(await (await browser.get("/admin/tenants")).text())!;
    for (const path of posts) {
      const missing = await browser.request(path, { method: "POST", form: { "/site_url": "https://x.example" } });
      expect(missing.status, path).toBe(403);
      const wrong = await browser.request(path, { method: "POST", form: { csrf: good.replace(/^./, "A") + "x" } });
      expect(wrong.status, path).toBe(403);
      const cross = await browser.request(path, {
        method: "POST",
        form: { csrf: good },
        headers: { origin: "https://evil.example" },
      });
      expect(cross.status, path).toBe(403);
      const noOrigin = await env.app.request(`${ORIGIN}${path}`, {
        method: "POST",
        body: new URLSearchParams({ csrf: good }),
        headers: { cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ") },
      });
      expect(noOrigin.status, path).toBe(403);
    }
    expect(await env.kernel.isEnabled(TENANT_A, "demo-monitor")).toBe(false);
    expect(await env.kernel.secretNames(TENANT_A, "demo-site")).toEqual([]);
  });

  it("accepts Sec-Fetch-Site: same-origin when Origin is stripped", async () => {
    await browser.signIn(await env.token());
    const csrf = csrfFrom(await (await browser.get("/admin/tenants")).text())!;
    const res = await env.app.request(`${ORIGIN}/admin/tenants/${TENANT_A}/plugins/demo-monitor/enable`, {
      method: "POST",
      body: new URLSearchParams({ csrf }),
      headers: {
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
        "sec-fetch-site": "same-origin",
      },
    });
    expect(res.status).toBe(303);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-monitor")).toBe(true);
  });

  it("Origin: null is judged by Sec-Fetch-Site", async () => {
    await browser.signIn(await env.token());
    const csrf = csrfFrom(await (await browser.get("/admin/tenants")).text())!;
    const post = (site: string) =>
      env.app.request(`${ORIGIN}/admin/tenants/${TENANT_A}/plugins/demo-monitor/enable`, {
        method: "POST",
        body: new URLSearchParams({ csrf }),
        headers: {
          cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; "),
          origin: "null",
          "sec-fetch-site": site,
        },
      });
    expect((await post("cross-site")).status).toBe(403);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-monitor")).toBe(false);
    expect((await post("same-origin")).status).toBe(303);
  });

  it("behind a TLS-terminating proxy, Origin is matched against the host the browser addressed", async () => {
    await browser.signIn(await env.token());
    const csrf = csrfFrom(await (await browser.get("/admin/tenants")).text())!;
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const post = (headers: Record<string, string>) =>
      env.app.request(`http://10.0.0.7:8000/admin/tenants/${TENANT_A}/plugins/demo-monitor/enable`, {
        method: "POST",
        body: new URLSearchParams({ csrf }),
        headers: { cookie, ...headers },
      });
    expect((await post({ origin: "https://admin.example.com", host: "evil.example" })).status).toBe(403);
    expect((await post({ origin: "https://evil.example", "x-forwarded-host": "admin.example.com" })).status).toBe(403);
    expect(
      (await post({ origin: "https://admin.example.com", host: "admin.example.com", "sec-fetch-site": "cross-site" }))
        .status,
    ).toBe(403);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-monitor")).toBe(false);
    expect((await post({ origin: "https://admin.example.com", "x-forwarded-host": "admin.example.com" })).status).toBe(
      303,
    );
    expect((await post({ origin: "https://admin.example.com", host: "admin.example.com" })).status).toBe(303);
  });

  it("a token from another session does not work", async () => {
    const other = new Browser(env.app);
    await other.signIn(await env.token([TENANT_A]));
    const foreign = csrfFrom(await (await other.get("/admin/tenants")).text())!;
    await browser.signIn(await env.token());
    const res = await browser.request(`/admin/tenants/${TENANT_A}/plugins/demo-monitor/enable`, {
      method: "POST",
      form: { csrf: foreign },
    });
    expect(res.status).toBe(403);
  });
});

describe("tenant scoping", () => {
  it("a scoped token lists only its tenants and gets 403 elsewhere, for pages and posts", async () => {
    await browser.signIn(await env.token([TENANT_A]));
    const list = await (await browser.get("/admin/tenants")).text();
    expect(list).toContain("acme");
    expect(list).not.toContain("globex");
    for (const path of ["", "/plugins", "/plugins/demo-site", "/tasks", "/health", "/data", "/history"]) {
      expect((await browser.get(`/admin/tenants/${TENANT_A}${path}`)).status, path).toBe(200);
      const res = await browser.get(`/admin/tenants/${TENANT_B}${path}`);
      expect(res.status, path).toBe(403);
      expect(await res.text()).not.toContain("globex");
    }
    const post = await browser.post(`/admin/tenants/${TENANT_B}/plugins/demo-monitor/enable`, {}, "/admin/tenants");
    expect(post.status).toBe(403);
    expect(await env.kernel.isEnabled(TENANT_B, "demo-monitor")).toBe(false);
    // Unknown tenants look the same as other tenants' to a scoped token: no oracle.
    expect((await browser.get("/admin/tenants/0c0c0c0c-0000-4000-8000-00000000000c")).status).toBe(403);
  });

  it("a platform token sees every tenant; unknown tenants, plugins and pages are 404", async () => {
    await browser.signIn(await env.token("*"));
    const list = await (await browser.get("/admin/tenants")).text();
    expect(list).toContain("acme");
    expect(list).toContain("globex");
    expect((await browser.get("/admin/tenants/0c0c0c0c-0000-4000-8000-00000000000c")).status).toBe(404);
    expect((await browser.get("/admin/tenants/not-a-uuid")).status).toBe(404);
    expect((await browser.get(`/admin/tenants/${TENANT_A}/plugins/nope`)).status).toBe(404);
    expect((await browser.get("/admin/nowhere")).status).toBe(404);
  });
});

describe("security headers", () => {
  it("every page has a strict CSP, no framing, no referrer, no caching", async () => {
    for (const res of [await browser.get("/admin/login"), await browser.get("/admin/tenants")]) {
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("the style hash in the CSP matches the inline stylesheet, and no inline script exists", async () => {
    const res = await browser.get("/admin/login");
    const html = await res.text();
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const digest = Buffer.from(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(css))).toString("base64");
    expect(res.headers.get("content-security-policy")).toContain(`'sha256-${digest}'`);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it("serves the progressive script as JavaScript", async () => {
    const res = await browser.get("/admin/assets/app.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/javascript/);
  });
});
