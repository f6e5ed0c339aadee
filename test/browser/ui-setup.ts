/**
 * A kernel, the real scheduler and admin auth with the fixture plugins, served as the dashboard
 * mounted at /admin the way createApp mounts it. Used by the unit tests (app.request) on Node.
 */
import { Hono } from "hono";
import { createAdminAuth, signAdminToken } from "../../src/http/auth.ts";
import type { HttpDeps } from "../../src/http/deps.ts";
import { adminUi } from "../../src/http/ui/index.tsx";
import { createEventProcessor } from "../../src/events/processor.ts";
import { createKernel } from "../../src/entries/runtime.ts";
import type { Plugin } from "../../src/index.ts";
import { createScheduler } from "../../src/scheduler/index.ts";
import { captureLogs } from "../../src/testing/logs.ts";
import { fixturePlugins } from "./fixture-plugins.ts";

export const JWT_SECRET = "dashboard-test-secret-0123456789abcdef";
export const TENANT_A = "0a0a0a0a-0000-4000-8000-00000000000a";
export const TENANT_B = "0b0b0b0b-0000-4000-8000-00000000000b";
export const ORIGIN = "http://dash.test";

export async function setupDashboard(options: { now?: () => number; plugins?: Plugin[] } = {}) {
  const now = options.now ?? Date.now;
  // Captured, not printed: a test that makes a plugin fail on purpose asserts on the log it leaves.
  const logs = captureLogs();
  const kernel = createKernel({
    plugins: options.plugins ?? fixturePlugins(),
    now,
    log: { level: "error", sink: logs.sink },
  });
  await kernel.putTenant(TENANT_A, { slug: "acme", plan: "pro" });
  await kernel.putTenant(TENANT_B, { slug: "globex", plan: "free" });
  const scheduler = createScheduler(kernel);
  const auth = createAdminAuth({ secret: JWT_SECRET, now });
  const deps = {
    kernel,
    scheduler,
    auth,
    events: createEventProcessor(kernel),
    bodyLimitBytes: 1 << 20,
    webhookToleranceSeconds: 300,
  } satisfies HttpDeps;
  const app = new Hono().route("/admin", adminUi(deps));
  const token = (tenants: "*" | string[] = "*", expiresInSeconds = 3600) =>
    signAdminToken(JWT_SECRET, { tenants, subject: "ops@dvp.test", expiresInSeconds, now: now() });
  return { kernel, scheduler, auth, deps, app, token, logs };
}

/** A browser-like client: keeps cookies, sends Origin on posts, reads the CSRF token from pages. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly app: Hono, readonly origin = ORIGIN) {}

  async request(
    path: string,
    init: RequestInit & { form?: Record<string, string | string[]> } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    let body = init.body;
    if (init.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const x of [v].flat()) params.append(k, x);
      body = params;
      if (!headers.has("origin")) headers.set("origin", this.origin);
    }
    const res = await this.app.request(`${this.origin}${path}`, { ...init, headers, body });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      if (attrs.some((a) => /max-age=0$/i.test(a.trim()))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  /** POST a form with the CSRF token taken from the page at `from`. */
  async post(path: string, form: Record<string, string | string[]>, from?: string): Promise<Response> {
    const csrf = from ? csrfFrom(await (await this.get(from)).text()) : undefined;
    return this.request(path, { method: "POST", form: { ...(csrf ? { csrf } : {}), ...form } });
  }

  async signIn(token: string): Promise<Response> {
    const page = await (await this.get("/admin/login")).text();
    return this.request("/admin/login", { method: "POST", form: { csrf: csrfFrom(page)!, token } });
  }
}

export function csrfFrom(html: string): string | undefined {
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1];
}
