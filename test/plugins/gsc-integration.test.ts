import { afterEach, describe, expect, it } from "vitest";
import { GscIntegrationPlugin, loadDaily, loadRows } from "../../plugins/gsc-integration/index.ts";
import { type FakeGoogle, makeServiceAccount, type ServiceAccountFixture, startFakeGoogle } from "../fakes/google.ts";
import { benchFor, instantRetries, TENANT } from "./helpers.ts";

const SITE = "https://www.acme.com/";
const DOMAIN_SITE = "sc-domain:acme.com";
let google: FakeGoogle | undefined;
afterEach(async () => {
  await google?.close();
  google = undefined;
});

async function setup(
  config: Record<string, unknown> = {},
  opts: { rowsPerDay?: number; sites?: string[]; timeoutMs?: number; wrongKey?: boolean } = {},
) {
  const clock = { now: Date.parse("2026-11-20T06:00:00Z") };
  const holder: { account?: ServiceAccountFixture } = {};
  google = await startFakeGoogle({
    account: () => holder.account!,
    sites: opts.sites ?? [SITE, DOMAIN_SITE],
    rowsPerDay: opts.rowsPerDay ?? 7,
    now: () => clock.now,
  });
  const account = holder.account = makeServiceAccount(google.tokenUrl);
  const secret = opts.wrongKey ? makeServiceAccount(google.tokenUrl).json : account.json;
  const plugin = new GscIntegrationPlugin({
    allowInsecureUrls: true,
    apiBaseUrl: google.url,
    http: { ...instantRetries, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) },
  });
  const bench = await benchFor(plugin, { sites: [SITE], row_limit: 5, ...config }, {
    service_account_json: secret,
  }, clock);
  return { bench, google, plugin, account };
}

describe("gsc-integration", () => {
  it("authenticates with a signed JWT, paginates Search Analytics and stores rows per site and date", async () => {
    const { bench, google, plugin } = await setup();
    const result = await bench.runTask();
    expect(result).toEqual({
      success: true,
      data: {
        rows_processed: 21,
        sites: { [SITE]: { rows: 21, days: 3 } },
        start_date: "2026-11-16",
        end_date: "2026-11-18",
      },
    });
    expect(google.tokensIssued).toBe(1);
    const detailed = google.queries.filter((q) => (q.body.dimensions as string[]).length > 1);
    expect(google.queries[0]!.body).toMatchObject({
      startDate: "2026-11-16",
      endDate: "2026-11-18",
      dimensions: ["date"],
      type: "web",
      dataState: "final",
    });
    expect(detailed.map((q) => [q.body.startRow, q.body.rowLimit])).toEqual([[0, 5], [5, 5], [10, 5], [15, 5], [
      20,
      5,
    ]]);
    expect(detailed[0]!.body.dimensions).toEqual(["date", "query", "page"]);

    const storage = plugin.storage(TENANT);
    const rows = await loadRows(storage, SITE, "2026-11-17");
    expect(rows).toHaveLength(7);
    expect(rows[0]).toEqual({
      keys: ["query 0", "https://acme.com/p0"],
      clicks: 1,
      impressions: 10,
      ctr: 0.1,
      position: 3,
    });
    const daily = await loadDaily(storage, SITE);
    expect(daily.map((d) => [d.date, d.clicks, d.rows])).toEqual([
      ["2026-11-16", 116, 7],
      ["2026-11-17", 117, 7],
      ["2026-11-18", 118, 7],
    ]);
  });

  it("reuses the cached access token until it expires", async () => {
    const { bench, google } = await setup();
    await bench.runTask();
    bench.clock.now += 30 * 60_000;
    await bench.runTask();
    expect(google.tokensIssued).toBe(1);
    bench.clock.now += 60 * 60_000;
    await bench.runTask();
    expect(google.tokensIssued).toBe(2);
  });

  it("refreshes the token once on 401", async () => {
    const { bench, google } = await setup();
    await bench.runTask();
    google.revokeTokens();
    expect((await bench.runTask()).success).toBe(true);
    expect(google.tokensIssued).toBe(2);
  });

  it("reports a site the service account cannot read (403) and still syncs the others", async () => {
    const { bench } = await setup({ sites: ["https://other.com/", DOMAIN_SITE] }, { sites: [DOMAIN_SITE] });
    const result = await bench.runTask();
    expect(result.success).toBe(false);
    expect(result.errorMessage).toMatch(
      /https:\/\/other.com\/.*HTTP 403: User does not have sufficient permission.*client_email/,
    );
    expect(result.data).toMatchObject({ sites: { [DOMAIN_SITE]: { rows: 21, days: 3 } }, rows_processed: 21 });
  });

  it("fails clearly when the JWT is signed with the wrong key (invalid_grant), without retrying", async () => {
    const { bench, google } = await setup({}, { wrongKey: true });
    const result = await bench.runTask();
    expect(result).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/token exchange failed: HTTP 400: Invalid JWT Signature/),
    });
    expect(google.requests.filter((r) => r.url === "/token")).toHaveLength(1);
    expect(bench.lines.join("\n")).not.toContain("PRIVATE KEY");
  });

  it("rejects a malformed service-account secret without echoing it", async () => {
    const { bench } = await setup();
    await bench.kernel.setSecrets(TENANT, "gsc-integration", {
      service_account_json: '{"type":"user","x":"hunter2hunter2"}',
    });
    await expect(bench.runTask()).rejects.toThrow(/type must be "service_account"/);
  });

  it("retries 500 and 429 (Retry-After) and a slow response, then succeeds", async () => {
    const { bench, google } = await setup({}, { timeoutMs: 200 });
    google.failNext.push(
      { status: 500 },
      { status: 429, headers: { "retry-after": "1" } },
      { status: 200, delayMs: 1000 },
    );
    const result = await bench.runTask();
    expect(result).toMatchObject({ success: true, data: { rows_processed: 21 } });
  });

  it("re-syncing a day replaces its chunks and drops leftovers", async () => {
    const { bench, plugin } = await setup({ row_limit: 25000, max_rows_per_site: 5000 }, { rowsPerDay: 250 });
    await bench.runTask();
    const storage = plugin.storage(TENANT);
    expect(await loadRows(storage, SITE, "2026-11-17")).toHaveLength(250);
    expect((await storage.list("rows:")).length).toBe(6); // 3 days × 2 chunks of ≤ 200
    await bench.kernel.setConfig(TENANT, "gsc-integration", { sites: [SITE], max_rows_per_site: 300 });
    await bench.runTask();
    expect(await loadRows(storage, SITE, "2026-11-17")).toHaveLength(50);
    expect(await loadRows(storage, SITE, "2026-11-18")).toHaveLength(0);
  });

  it("charts clicks and impressions per day through dataSeries", async () => {
    const { bench, plugin } = await setup();
    await bench.runTask();
    const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
    const panels = await plugin.dataSeries(ctx);
    expect(panels).toEqual([{
      title: `Search Console: ${SITE}`,
      series: [
        {
          name: "clicks",
          unit: "clicks",
          points: [{ t: "2026-11-16", v: 116 }, { t: "2026-11-17", v: 117 }, { t: "2026-11-18", v: 118 }],
        },
        {
          name: "impressions",
          unit: "impressions",
          points: [{ t: "2026-11-16", v: 1160 }, { t: "2026-11-17", v: 1170 }, { t: "2026-11-18", v: 1180 }],
        },
      ],
    }]);
  });

  it("registers a daily task at the configured hour", async () => {
    const { bench, plugin } = await setup({ sync_hour_utc: 4 });
    const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
    expect(await plugin.registerScheduledTasks(ctx)).toMatchObject([
      { taskId: "gsc-integration.daily-sync", schedule: { cronExpression: "0 4 * * *" } },
    ]);
  });
});
