/** The dashboard's pages through HTTP: plugins, config form round trips, secrets, tasks, health, data. */
import { beforeEach, describe, expect, it } from "vitest";
import { Plugin } from "../../src/index.ts";
import { fixturePlugins } from "../browser/fixture-plugins.ts";
import { Browser, setupDashboard, TENANT_A } from "../browser/ui-setup.ts";

let env: Awaited<ReturnType<typeof setupDashboard>>;
let browser: Browser;
const T = `/admin/tenants/${TENANT_A}`;

beforeEach(async () => {
  env = await setupDashboard();
  browser = new Browser(env.app);
  await browser.signIn(await env.token([TENANT_A]));
});

const VALID = {
  "/site_url": "https://demo.example/",
  "/timeout_seconds": "60",
  "/region": "us",
  "/features": ["keywords", "rankings"],
  "/domains": "demo.example\nwww.demo.example",
  "/notify": "on",
};

describe("Settings → Plugins", () => {
  it("lists every plugin with version, description, status and a toggle", async () => {
    const html = await (await browser.get(`${T}/plugins`)).text();
    expect(html).toContain("<strong>demo-site</strong>");
    expect(html).toContain("Syncs the demo site and charts its search traffic");
    expect(html).toContain("<td>1.2.0</td>");
    expect(html).toContain("<td>0.3.1</td>");
    expect(html).toContain('aria-label="Enable demo-monitor"');
    expect(html).toContain("0 of 2 set");
    expect(html).toMatch(/<a class="skip" href="#main">Skip to main content<\/a>/);
    expect(html).toMatch(/<main id="main"/);
    expect(html).toMatch(/aria-current="page">Plugins<\/a>/);
  });

  it("enables and disables a plugin; disabling keeps its config", async () => {
    const res = await browser.post(`${T}/plugins/demo-monitor/enable`, {}, `${T}/plugins`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${T}/plugins?changed=enabled:demo-monitor`);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-monitor")).toBe(true);
    const page = await (await browser.get(res.headers.get("location")!)).text();
    expect(page).toContain("demo-monitor is now enabled.");
    expect(page).toContain('aria-label="Disable demo-monitor"');
    await browser.post(`${T}/plugins/demo-site/config`, VALID, `${T}/plugins/demo-site`);
    // Its SECRETS_SCHEMA requires api_token: enabling is refused until it is set, and the page says so.
    const refused = await browser.post(`${T}/plugins/demo-site/enable`, {}, `${T}/plugins`);
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain(
      "cannot be enabled yet:</strong> its required secrets are not set (api_token).",
    );
    expect(await env.kernel.isEnabled(TENANT_A, "demo-site")).toBe(false);
    await env.kernel.setSecrets(TENANT_A, "demo-site", { api_token: "tok_pages_0001" });
    expect((await browser.post(`${T}/plugins/demo-site/enable`, {}, `${T}/plugins`)).status).toBe(303);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-site")).toBe(true);
    await browser.post(`${T}/plugins/demo-site/disable`, { back: "plugin" }, `${T}/plugins`);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-site")).toBe(false);
    expect(await env.kernel.getConfig(TENANT_A, "demo-site")).toMatchObject({ site_url: "https://demo.example/" });
  });

  it("refuses to enable a plugin whose config is not valid yet, and says what to do", async () => {
    const res = await browser.post(`${T}/plugins/demo-site/enable`, {}, `${T}/plugins`);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain("demo-site cannot be enabled yet:");
    expect(html).toContain("/site_url is required");
    expect(html).toContain(`href="${T}/plugins/demo-site">Configure demo-site</a>`);
    expect(await env.kernel.isEnabled(TENANT_A, "demo-site")).toBe(false);
  });
});

describe("the generated config form", () => {
  it("shows the current config with defaults filled in", async () => {
    const html = await (await browser.get(`${T}/plugins/demo-site`)).text();
    expect(html).toMatch(/id="cfg\/timeout_seconds" name="\/timeout_seconds" value="30"/);
    expect(html).toMatch(/<option value="eu" selected="">eu<\/option>/);
    expect(html).toMatch(/name="\/features" value="keywords" checked=""/);
    expect(html).toMatch(/name="\/notify" value="on" checked=""/);
    expect(html).toContain("Edit as JSON");
  });

  it("an invalid submission is 422 with each error at its field; nothing is stored", async () => {
    const res = await browser.post(
      `${T}/plugins/demo-site/config`,
      { ...VALID, "/site_url": "not a url", "/timeout_seconds": "999", "/routes": '[{"from":"/a"}]' },
      `${T}/plugins/demo-site`,
    );
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toMatch(/id="cfg\/site_url-error">.*Site URL must be a full URL/);
    expect(html).toMatch(/id="cfg\/site_url" name="\/site_url" value="not a url"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/id="cfg\/timeout_seconds-error">.*Timeout \(seconds\) must be at most 300\./);
    expect(html).toMatch(/id="cfg\/routes-error">.*Routing rules is required/);
    expect(html).toMatch(/class="error-summary" role="alert"/);
    expect(html).toContain('href="#cfg/site_url"');
    expect(html).toMatch(/<option value="us" selected="">/);
    expect((await env.kernel.tenants.get(TENANT_A))!.plugins["demo-site"]).toBeUndefined();
  });

  it("a value that is not a number is reported at its field, with the other problems", async () => {
    const res = await browser.post(
      `${T}/plugins/demo-site/config`,
      { ...VALID, "/site_url": "", "/timeout_seconds": "ten" },
      `${T}/plugins/demo-site`,
    );
    const html = await res.text();
    expect(res.status).toBe(422);
    expect(html).toMatch(/id="cfg\/timeout_seconds-error">.*Timeout \(seconds\) must be a number\./);
    expect(html).toMatch(/id="cfg\/site_url-error">.*Site URL is required\./);
    expect(html).toMatch(/value="ten"/);
  });

  it("a valid submission is stored with defaults and typed values, then shown back", async () => {
    const res = await browser.post(`${T}/plugins/demo-site/config`, {
      ...VALID,
      "/alerts/email": "ops@demo.example",
      "/retry_policy": '"default"',
    }, `${T}/plugins/demo-site`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${T}/plugins/demo-site?saved=config`);
    expect(await env.kernel.getConfig(TENANT_A, "demo-site")).toEqual({
      site_url: "https://demo.example/",
      timeout_seconds: 60,
      sample_rate: 0.5,
      notify: true,
      region: "us",
      features: ["keywords", "rankings"],
      domains: ["demo.example", "www.demo.example"],
      alerts: { email: "ops@demo.example", threshold_days: 14 },
      retry_policy: "default",
    });
    const html = await (await browser.get(res.headers.get("location")!)).text();
    expect(html).toContain("Configuration saved.");
    expect(html).toMatch(/name="\/timeout_seconds" value="60"/);
  });

  it("the JSON editor saves the whole config, and reports bad JSON and schema errors", async () => {
    const bad = await browser.post(
      `${T}/plugins/demo-site/config`,
      { mode: "json", config_json: "{" },
      `${T}/plugins/demo-site`,
    );
    expect(bad.status).toBe(422);
    expect(await bad.text()).toMatch(/id="config-json-error">.*is not valid JSON/);
    const invalid = await browser.post(
      `${T}/plugins/demo-site/config`,
      { mode: "json", config_json: JSON.stringify({ site_url: "https://x.example", extra: 1 }) },
      `${T}/plugins/demo-site`,
    );
    expect(invalid.status).toBe(422);
    const html = await invalid.text();
    expect(html).toMatch(/<details open="">/);
    expect(html).toMatch(/id="config-json-error">.*\/extra is not an allowed property/);
    const ok = await browser.post(
      `${T}/plugins/demo-site/config`,
      {
        mode: "json",
        config_json: JSON.stringify({ site_url: "https://x.example", routes: [{ from: "/a", to: "/b" }] }),
      },
      `${T}/plugins/demo-site`,
    );
    expect(ok.status).toBe(303);
    expect(await env.kernel.getConfig(TENANT_A, "demo-site")).toMatchObject({ routes: [{ from: "/a", to: "/b" }] });
  });
});

describe("the secrets form", () => {
  const SECRET = "tok_live_9f8e7d6c5b4a";

  it("is write-only: sets, shows only 'set', never the value, and keeps what is left empty", async () => {
    const page = `${T}/plugins/demo-site`;
    let html = await (await browser.get(page)).text();
    expect(html).toMatch(/id="secret-api_token"[^>]*type|type="password" id="secret-api_token"/);
    expect(html).toContain('<span class="badge off">not set</span>');
    const res = await browser.post(`${page}/secrets`, { "secret:api_token": SECRET, "secret:hook_url": "" }, page);
    expect(res.status).toBe(303);
    html = await (await browser.get(`${page}?saved=secrets`)).text();
    expect(html).toContain("Secrets saved.");
    expect(html).toContain('<span class="badge ok">set</span>');
    expect(html).toContain("Replace with");
    expect(html).toContain("Clear API token");
    expect(html).not.toContain(SECRET);
    expect((await env.kernel.getSecrets(TENANT_A, "demo-site")).require("api_token")).toBe(SECRET);
    // An empty submission changes nothing.
    await browser.post(`${page}/secrets`, { "secret:api_token": "" }, page);
    expect((await env.kernel.getSecrets(TENANT_A, "demo-site")).require("api_token")).toBe(SECRET);
    for (const path of ["/plugins", "/plugins/demo-site", "/tasks", "/history", ""]) {
      expect(await (await browser.get(`${T}${path}`)).text(), path).not.toContain(SECRET);
    }
  });

  it("replaces and clears; errors are shown at the secret without echoing what was typed", async () => {
    const page = `${T}/plugins/demo-site`;
    await browser.post(
      `${page}/secrets`,
      { "secret:api_token": SECRET, "secret:hook_url": "https://hooks.example/x" },
      page,
    );
    await browser.post(`${page}/secrets`, { "secret:api_token": "tok_replaced_123" }, page);
    expect((await env.kernel.getSecrets(TENANT_A, "demo-site")).require("api_token")).toBe("tok_replaced_123");
    await browser.post(`${page}/secrets`, { "clear:hook_url": "1" }, page);
    expect(await env.kernel.secretNames(TENANT_A, "demo-site")).toEqual(["api_token"]);

    const tooShort = await browser.post(`${page}/secrets`, { "secret:api_token": "short7x" }, page);
    expect(tooShort.status).toBe(422);
    let html = await tooShort.text();
    expect(html).toMatch(/id="secret-api_token-error">.*API token/);
    expect(html).not.toContain("short7x");
    const required = await browser.post(`${page}/secrets`, { "clear:api_token": "1" }, page);
    expect(required.status).toBe(422);
    expect(await required.text()).toMatch(/id="secret-api_token-error">.*API token is required\./);
    const both = await browser.post(
      `${page}/secrets`,
      { "secret:api_token": "tok_other_1234", "clear:api_token": "1" },
      page,
    );
    expect(both.status).toBe(422);
    html = await both.text();
    expect(html).toContain("API token cannot be replaced and cleared at once.");
    expect(html).not.toContain("tok_other_1234");
    expect((await env.kernel.getSecrets(TENANT_A, "demo-site")).require("api_token")).toBe("tok_replaced_123");
  });
});

describe("scheduled tasks", () => {
  beforeEach(async () => {
    await env.kernel.setConfig(TENANT_A, "demo-site", { site_url: "https://demo.example/" });
    await env.kernel.setSecrets(TENANT_A, "demo-site", { api_token: "tok_live_9f8e7d6c5b4a" });
    await env.kernel.enable(TENANT_A, "demo-site");
  });

  it("lists schedule in cron and words, next run, and last result", async () => {
    const html = await (await browser.get(`${T}/tasks`)).text();
    expect(html).toContain("<strong>Sync pages</strong>");
    expect(html).toContain("<code>0 6 * * *</code>");
    expect(html).toMatch(/every day at 06:00/i);
    expect(html).toContain("(Europe/Berlin)");
    expect(html).toMatch(/<time datetime="\d{4}-\d{2}-\d{2}T06:00:00/);
    expect(html).toContain("never ran");
    expect(html).toContain('aria-label="Run Sync pages now"');
  });

  it("Run now shows the result, and the history shows failures with their messages", async () => {
    const ok = await browser.post(`${T}/tasks/demo-site.sync/run`, {}, `${T}/tasks`);
    expect(ok.status).toBe(303); // post/redirect/get: a reload does not run it again
    expect(ok.headers.get("location")).toBe(`${T}/tasks?ran=demo-site.sync`);
    let html = await (await browser.get(ok.headers.get("location")!)).text();
    expect(html).toMatch(/demo-site\.sync succeeded/);
    expect(html).toContain("&quot;pages_synced&quot;: 42");
    const failed = await browser.post(`${T}/tasks/demo-site.report/run`, {}, `${T}/tasks`);
    html = await (await browser.get(failed.headers.get("location")!)).text();
    expect(html).toMatch(/demo-site\.report failed/);
    expect(html).toContain("report service answered 503 Service Unavailable");
    expect(html).toMatch(/<span class="badge bad">failed<\/span>/);
    html = await (await browser.get(`${T}/history?kind=task&failed=1`)).text();
    expect(html).toContain("report service answered 503 Service Unavailable");
    expect(html).not.toMatch(/<code>demo-site\.sync<\/code>/);
    expect((await browser.post(`${T}/tasks/demo-site.nope/run`, {}, `${T}/tasks`)).status).toBe(404);
    // Only a flag travels in the redirect: a crafted link cannot put words on the page.
    html = await (await browser.get(`${T}/tasks?ran=demo-site.sync&error=Send+your+token+to+evil.example`)).text();
    expect(html).not.toContain("evil.example");
    html = await (await browser.get(`${T}/tasks?ran=demo-site.sync&refused=1`)).text();
    expect(html).toContain("It was not started: it may be running already.");
  });
});

describe("health and data charts", () => {
  beforeEach(async () => {
    await env.kernel.enable(TENANT_A, "demo-monitor");
  });

  it("runs checks and shows status, uptime and latency, expiry and detail charts as inline SVG", async () => {
    for (let i = 0; i < 6; i++) await env.scheduler.runHealthCycle(TENANT_A, new Date(Date.now() + i * 300_000));
    const html = await (await browser.get(`${T}/health`)).text();
    expect(html).toContain("uptime · demo.example");
    expect(html).toContain("ssl · demo.example");
    expect(html).toMatch(/<figcaption>Uptime: <span class="stat">\d+(\.\d+)?%<\/span>/);
    const link = /href="([^"]*\/health\/check\?plugin=demo-monitor&amp;type=ssl[^"]*)"/.exec(html)![1]!.replace(
      /&amp;/g,
      "&",
    );
    const detail = await (await browser.get(link)).text();
    expect(detail).toContain("<figcaption>Latency over time</figcaption>");
    expect(detail).toContain("<figcaption>Days to certificate expiry</figcaption>");
    expect(detail).toMatch(
      /<svg class="chart" viewBox="0 0 480 200" role="img" aria-labelledby="latency-title latency-desc"/,
    );
    expect(detail).toMatch(/<desc id="detail-0-desc">6 values from .*latest \d+ days\.<\/desc>/);
    expect((detail.match(/<circle /g) ?? []).length).toBeGreaterThanOrEqual(12);
    expect(detail).toContain("certificate for demo.example expires in");
  });

  it("the Run health checks button runs a cycle", async () => {
    const res = await browser.post(`${T}/health/run`, {}, `${T}/health`);
    expect(res.status).toBe(303);
    expect(await (await browser.get(res.headers.get("location")!)).text()).toContain("Ran 2 health checks.");
  });

  it("charts the plugins' data series (clicks and impressions)", async () => {
    await env.kernel.setConfig(TENANT_A, "demo-site", { site_url: "https://demo.example/" });
    await env.kernel.setSecrets(TENANT_A, "demo-site", { api_token: "tok_charts_0001" });
    await env.kernel.enable(TENANT_A, "demo-site");
    const html = await (await browser.get(`${T}/data`)).text();
    expect(html).toContain("<h3>Search performance (https://demo.example/)</h3>");
    expect(html).toContain("<figcaption>Clicks</figcaption>");
    expect(html).toContain("<figcaption>Impressions</figcaption>");
    expect(html).toMatch(/14 values from 2026-11-10 to 2026-11-23/);
  });
});

describe("Tenants list", () => {
  it("pages a platform sign-in through every tenant, 100 at a time; a bad page link starts over", async () => {
    const platform = new Browser(env.app);
    await platform.signIn(await env.token("*"));
    const existing = [];
    for await (const id of env.kernel.tenants.ids()) existing.push(id);
    const created = Array.from({ length: 230 - existing.length }, () => crypto.randomUUID());
    await Promise.all(created.map((id, i) => env.kernel.putTenant(id, { slug: `paged-${i}`, plan: "free" })));
    const all = [...existing, ...created].sort();

    const seen: string[] = [];
    let url: string | null = "/admin/tenants";
    let pages = 0;
    while (url && pages < 5) {
      const html = await (await platform.get(url)).text();
      seen.push(...[...html.matchAll(/<code>([0-9a-f-]{36})<\/code>/g)].map((m) => m[1]!));
      const next = html.match(/href="([^"]+)">Next 100 tenants<\/a>/);
      url = next ? next[1]!.replaceAll("&amp;", "&") : null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all);

    const stale = await (await platform.get("/admin/tenants?page=tenant%3Azzzz")).text();
    expect(stale).not.toContain("<code>");
    const garbled = await platform.get("/admin/tenants?page=%00%ff");
    expect(garbled.status).toBe(200);
  });
});

describe("history: replay", () => {
  /** A content hook that fails while `failing` is set. */
  class Notifier extends Plugin {
    readonly name = "notifier";
    readonly version = "1.0.0";
    failing = true;
    calls = 0;
    contentPublished() {
      this.calls++;
      if (this.failing) throw new Error("notify service answered 502");
    }
  }

  it("offers Replay on a final failed hook outcome; replaying runs it again and lists the new outcome", async () => {
    const notifier = new Notifier();
    env = await setupDashboard({ plugins: [...fixturePlugins(), notifier] });
    browser = new Browser(env.app);
    await browser.signIn(await env.token([TENANT_A]));
    await env.kernel.enable(TENANT_A, "notifier");
    const events = env.deps.events;
    const at = new Date().toISOString();
    const event = {
      tenantId: TENANT_A,
      type: "content.published",
      timestamp: at,
      content: {},
      receivedAt: at,
    } as const;
    await events.accept({ ...event, id: "msg_ui_replay", contentId: "post-9" });
    await events.idle();
    // The sweeps of the next hours make attempts 2 and 3; the third is final.
    for (let i = 0; i < 3 && notifier.calls < 3; i++) {
      await events.sweep(new Date(Date.now() + (i + 1) * 3_600_000));
    }
    let html = await (await browser.get(`${T}/history?failed=1`)).text();
    expect(html).toContain("notify service answered 502");
    expect(html).toContain('aria-label="Replay event msg_ui_replay for notifier"');
    expect(env.logs.find({ level: "error", plugin: "notifier" }).map((r) => r.error)).toEqual(
      Array(3).fill("notify service answered 502"),
    );

    notifier.failing = false;
    const calls = notifier.calls;
    const replayed = await browser.post(
      `${T}/history/replay`,
      { event: "msg_ui_replay", plugin: "notifier" },
      `${T}/history`,
    );
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get("location")).toBe(`${T}/history?replayed=1`);
    expect(notifier.calls).toBe(calls + 1);
    html = await (await browser.get(replayed.headers.get("location")!)).text();
    expect(html).toContain("Replay started");
    expect(html).toMatch(/<span class="badge ok">succeeded<\/span>/);
    // The old failure row has no button any more, and a second post (an old page) runs nothing again.
    expect(html).not.toContain('aria-label="Replay event msg_ui_replay for notifier"');
    const again = await browser.post(
      `${T}/history/replay`,
      { event: "msg_ui_replay", plugin: "notifier" },
      `${T}/history`,
    );
    expect(again.headers.get("location")).toBe(`${T}/history?replayed=0`);
    expect(notifier.calls).toBe(calls + 1);
    // Without the session's CSRF token, or for an event that is not kept: refused.
    expect(
      (await browser.request(`${T}/history/replay`, {
        method: "POST",
        form: { event: "msg_ui_replay", plugin: "notifier" },
      })).status,
    )
      .toBe(403);
    expect(
      (await browser.post(`${T}/history/replay`, { event: "msg_nope", plugin: "notifier" }, `${T}/history`)).status,
    )
      .toBe(404);
  });
});
