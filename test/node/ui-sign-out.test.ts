/**
 * Sign-out revokes the session on the server: the old cookie (the admin JWT itself) replayed
 * after sign-out is refused by this isolate at once, by another isolate once it reads the
 * revocation from KV, and cannot be pasted into the sign-in form again.
 */
import { Hono } from "hono";
import { beforeEach, describe, expect, it } from "vitest";
import { adminApi } from "../../src/http/admin.ts";
import { adminUi } from "../../src/http/ui/index.tsx";
import { SessionRevocations } from "../../src/http/revocations.ts";
import { Browser, setupDashboard } from "../browser/ui-setup.ts";
import { respelled } from "./token-spelling.ts";

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
    // Another isolate: its own list over the same storage, which never saw the sign-out itself.
    const other = new SessionRevocations(env.kernel.driver, env.kernel.now);
    expect(await other.isRevoked(cookie)).toBe(true);
    expect(await other.isRevoked(respelled(cookie))).toBe(true);
    expect(await other.isRevoked(await env.token("*", 3601))).toBe(false);
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

describe("sign-out cannot be undone by respelling the token", () => {
  it("the signature's last character swapped for a neighbour is still signed out, and cannot sign in", async () => {
    const { cookie, token } = await signedOutCookie();
    const edited = respelled(cookie);
    expect(edited).not.toBe(cookie);
    const thief = new Browser(env.app);
    thief.cookies.set("__Host-dvp_admin", edited);
    const res = await thief.get("/admin/tenants");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/admin\/login\?reason=(signedout|invalid)/);
    const again = await new Browser(env.app).signIn(respelled(token));
    expect(again.status).toBe(401);
  });
});

describe("the admin API honours sign-out", () => {
  const api = () => new Hono().route("/v1", adminApi(env.deps)).route("/admin", adminUi(env.deps));
  const bearer = (app: Hono, token: string) =>
    app.request("/v1/plugins", { headers: { authorization: `Bearer ${token}` } });

  it("a signed-out dashboard cookie used as a Bearer token is refused (401)", async () => {
    const app = api();
    const browser = new Browser(app);
    const token = await env.token("*", 3600);
    expect((await bearer(app, token)).status).toBe(200);
    await browser.signIn(token);
    expect((await browser.post("/admin/logout", {}, "/admin/tenants")).status).toBe(303);
    const res = await bearer(app, token);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ detail: expect.stringContaining("signed out") });
    expect((await bearer(app, respelled(token))).status).toBe(401);
    // Another token of the same principal is untouched.
    expect((await bearer(app, await env.token("*", 3601))).status).toBe(200);
  });

  it("a sign-out on another router over the same storage is seen by the API", async () => {
    const token = await env.token("*", 3600);
    const browser = new Browser(env.app);
    await browser.signIn(token);
    expect((await browser.post("/admin/logout", {}, "/admin/tenants")).status).toBe(303);
    expect((await bearer(new Hono().route("/v1", adminApi(env.deps)), token)).status).toBe(401);
  });
});
