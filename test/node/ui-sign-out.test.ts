/**
 * Sign-out revokes the session on the server: the old cookie (the admin JWT itself) replayed
 * after sign-out is refused by this isolate at once, by another isolate once it reads the
 * revocation from KV, and cannot be pasted into the sign-in form again.
 */
import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import { adminUi } from "../../src/http/ui/index.tsx";
import { Browser, setupDashboard } from "../browser/ui-setup.ts";

let env: Awaited<ReturnType<typeof setupDashboard>>;
beforeEach(async () => {
  env = await setupDashboard();
});

async function signedOutCookie(): Promise<{ cookie: string; token: string }> {
  const browser = new Browser(env.app);
  const token = await env.token("*", 3600);
  await browser.signIn(token);
  const cookie = browser.cookies.get("__Host-dvp_admin")!;
  expect(cookie).toBe(token);
  expect((await browser.get("/admin/tenants")).status).toBe(200);
  expect((await browser.post("/admin/logout", {}, "/admin/tenants")).status).toBe(303);
  expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
  return { cookie, token };
}

describe("sign-out", () => {
  it("revokes the session: the old cookie replayed is sent to sign-in", async () => {
    const { cookie } = await signedOutCookie();
    const thief = new Browser(env.app);
    thief.cookies.set("__Host-dvp_admin", cookie);
    const res = await thief.get("/admin/tenants");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/admin\/login\?reason=signedout/);
    expect(thief.cookies.has("__Host-dvp_admin")).toBe(false);
  });

  it("is seen by another isolate through storage", async () => {
    const { cookie } = await signedOutCookie();
    // A second dashboard over the same kernel storage: it never saw the sign-out itself.
    const other = new Hono().route("/admin", adminUi(env.deps));
    const thief = new Browser(other);
    thief.cookies.set("__Host-dvp_admin", cookie);
    expect((await thief.get("/admin/tenants")).status).toBe(303);
  });

  it("the signed-out token cannot start a new session; a fresh token can", async () => {
    const { token } = await signedOutCookie();
    const browser = new Browser(env.app);
    const again = await browser.signIn(token);
    expect(again.status).toBe(401);
    expect(await again.text()).toContain("This token was signed out");
    expect(browser.cookies.has("__Host-dvp_admin")).toBe(false);
    expect((await browser.signIn(await env.token("*", 3601))).status).toBe(303);
    expect((await browser.get("/admin/tenants")).status).toBe(200);
  });
});
