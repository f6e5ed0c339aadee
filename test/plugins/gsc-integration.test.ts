import { afterEach, describe, expect, it } from "vitest";
import {
  dateInZone,
  GscIntegrationPlugin,
  loadDaily,
  loadRows,
  syncRange,
} from "../../plugins/gsc-integration/index.ts";
import { type FakeGoogle, makeServiceAccount, type ServiceAccountFixture, startFakeGoogle } from "../fakes/google.ts";
import { benchFor, instantRetries, kvOperations, recordingDriver, type StorageCall, TENANT } from "./helpers.ts";

const SITE = "https://www.acme.com/";
const DOMAIN_SITE = "sc-domain:acme.com";
let google: FakeGoogle | undefined;
afterEach(async () => {
  await google?.close();
  google = undefined;
});

async function setup(
  config: Record<string, unknown> = {},
  opts: {
    rowsPerDay?: number;
    sites?: string[];
    timeoutMs?: number;
    wrongKey?: boolean;
    start?: string;
    /** Waits between retries move the shared clock instead of passing. */
    sleepMovesClock?: boolean;
    /** Storage calls are recorded here. */
    calls?: StorageCall[];
  } = {},
) {
  // 14:00 UTC is 06:00 in Pacific time, the same calendar date.
  const clock = { now: Date.parse(opts.start ?? "2026-11-20T14:00:00Z") };
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
    http: {
      ...instantRetries,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.sleepMovesClock ? { sleep: async (ms: number) => void (clock.now += ms) } : {}),
    },
  });
  const bench = await benchFor(
    plugin,
    { sites: [SITE], row_limit: 5, ...config },
    {
      service_account_json: secret,
    },
    clock,
    opts.calls && recordingDriver(opts.calls),
  );
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

  it("retries 500, 429 with and without Retry-After and a slow response, then succeeds", async () => {
    const { bench, google } = await setup({}, { timeoutMs: 200 });
    // Google's 429s usually carry no Retry-After: the client's own backoff paces the retry.
    google.failNext.push({ status: 500 }, { status: 429 }, { status: 200, delayMs: 1000 });
    expect(await bench.runTask()).toMatchObject({ success: true, data: { rows_processed: 21 } });
    google.failNext.push({ status: 429, headers: { "retry-after": "1" } });
    const result = await bench.runTask();
    expect(result).toMatchObject({ success: true, data: { rows_processed: 21 } });
  });

  it("a token that expires during a run is answered 401 and refreshed once; the run completes", async () => {
    const { bench, google } = await setup({}, { sleepMovesClock: true });
    await bench.runTask(); // caches a token for its expires_in (3599 s), used until a minute before
    const firstRun = google.requests.length;
    bench.clock.now += 3538 * 1000;
    // Two long waits in the middle of the next run carry the clock past that token's expiry.
    google.failNext.push({ status: 429, headers: { "retry-after": "59" } }, {
      status: 429,
      headers: { "retry-after": "59" },
    });
    const result = await bench.runTask();
    expect(result).toMatchObject({ success: true, data: { rows_processed: 21 } });
    expect(google.tokensIssued).toBe(2);
    // 6 answered queries (totals, 5 pages of rows), the two 429s, and the retry with the expired
    // token, answered 401 and followed by one refresh.
    const calls = google.requests.slice(firstRun).filter((r) => r.url.includes("searchAnalytics"));
    expect(calls).toHaveLength(9);
    expect(new Set(calls.map((r) => r.headers.authorization)).size).toBe(2);
  });

  it("computes the date range in Pacific time across the UTC/Pacific date boundary", async () => {
    // 06:00 UTC on the 20th is 22:00 on the 19th in Los Angeles: Search Console's today is the 19th,
    // and the 20th has no data yet.
    const { bench } = await setup({ end_offset_days: 0, date_range_days: 2 }, { start: "2026-11-20T06:00:00Z" });
    expect(await bench.runTask()).toMatchObject({
      success: true,
      data: { start_date: "2026-11-18", end_date: "2026-11-19", sites: { [SITE]: { rows: 14, days: 2 } } },
    });
    // 08:00 UTC is midnight in Los Angeles: the 20th has begun there.
    bench.clock.now = Date.parse("2026-11-20T08:00:00Z");
    expect(await bench.runTask()).toMatchObject({ data: { start_date: "2026-11-19", end_date: "2026-11-20" } });
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

  // A Workers invocation may make 1,000 KV operations, the kernel's own included; 3 sites of
  // 60,000 rows are ~920 writes, which one run used to attempt (and fail part-way, every retry).
  it("a sync bigger than one run's storage budget stops within it and the retry continues with the days left", async () => {
    const calls: StorageCall[] = [];
    const sites = [SITE, DOMAIN_SITE, "https://shop.acme.com/"];
    const { bench, plugin } = await setup(
      { sites, row_limit: 25000, max_rows_per_site: 200_000, dimensions: ["query"] },
      { rowsPerDay: 20_000, sites, calls },
    );
    const runs = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      calls.length = 0;
      const result = await bench.runTask();
      runs.push({ result, operations: kvOperations(calls) });
      bench.clock.now += 60_000; // the scheduler's retry
      if (result.success) break;
    }
    for (const run of runs) expect(run.operations).toBeLessThanOrEqual(650);
    expect(runs).toHaveLength(2);
    expect(runs[0]!.result).toMatchObject({
      success: false,
      errorMessage: "stopped at the run's storage budget with 2 site(s) not finished; the next run continues",
      data: { stopped_by: "storage budget", remaining_sites: [DOMAIN_SITE, "https://shop.acme.com/"] },
    });
    expect(runs[1]!.result).toMatchObject({ success: true });
    // The retry fetched only the sites left, and stored only the day left of the second.
    expect(runs[1]!.result.data?.sites).toMatchObject({
      [DOMAIN_SITE]: { rows: 20_000, days: 1 },
      "https://shop.acme.com/": { rows: 60_000, days: 3 },
    });
    expect(Object.keys(runs[1]!.result.data?.sites as object)).toHaveLength(2);
    const storage = plugin.storage(TENANT);
    for (const site of sites) {
      for (const date of ["2026-11-16", "2026-11-17", "2026-11-18"]) {
        expect(await loadRows(storage, site, date)).toHaveLength(20_000);
      }
    }
    expect(await storage.list("sync:")).toEqual([]); // the progress record goes with the finished range
  });

  it("a day stored with more chunks than a run's budget (an earlier version) is replaced, not a stop every run", async () => {
    const { bench, plugin } = await setup({ sites: [SITE] });
    const storage = plugin.storage(TENANT);
    // 700 chunks: their deletion alone is more than one run may spend.
    await storage.put(`daily:${encodeURIComponent(SITE)}:2026-11-16`, {
      date: "2026-11-16",
      rows: 140_000,
      chunks: 700,
    });
    const results = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await bench.runTask();
      results.push(result);
      bench.clock.now += 60_000;
      if (result.success) break;
    }
    expect(results.map((r) => r.success)).toEqual([false, true]);
    expect(results[0]!.data).toMatchObject({ stopped_by: "storage budget", sites: { [SITE]: { days: 1 } } });
    expect(await loadRows(storage, SITE, "2026-11-16")).toHaveLength(7);
    expect((await loadDaily(storage, SITE)).map((d) => d.chunks)).toEqual([1, 1, 1]);
  });

  it("charts 10 sites of 90 days within a bound of storage operations (batch reads)", async () => {
    const calls: StorageCall[] = [];
    const sites = Array.from({ length: 10 }, (_, i) => `https://s${i}.acme.com/`);
    const { bench, plugin } = await setup({ sites }, { calls });
    const storage = plugin.storage(TENANT);
    for (const site of sites) {
      for (let d = 0; d < 90; d++) {
        const date = new Date(Date.parse("2026-11-18T00:00:00Z") - d * 86_400_000).toISOString().slice(0, 10);
        await storage.put(`daily:${encodeURIComponent(site)}:${date}`, { date, clicks: d, impressions: 10 * d });
      }
    }
    calls.length = 0;
    const panels = await plugin.dataSeries(bench.kernel.context(await bench.kernel.requireTenant(TENANT)));
    expect(panels).toHaveLength(10);
    expect(panels[0]!.series[0]!.points).toHaveLength(90);
    expect(kvOperations(calls)).toBeLessThanOrEqual(40); // a get per day was 910
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

  it("the Google fake lets tokens expire and checks a query before an injected failure", async () => {
    const { bench, google } = await setup();
    await bench.runTask();
    const url = `${google.url}/webmasters/v3/sites/${encodeURIComponent(SITE)}/searchAnalytics/query`;
    const auth = String(google.requests.find((r) => r.url.includes("searchAnalytics"))!.headers.authorization);
    const query = (body: unknown) =>
      fetch(url, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    google.failNext.push({ status: 503 });
    const malformed = await query({ endDate: "2026-11-18", dimensions: ["date"], rowLimit: 10, type: "web" });
    expect(malformed.status).toBe(400);
    expect(google.failNext).toHaveLength(1);
    google.failNext.length = 0;
    const valid = { startDate: "2026-11-18", endDate: "2026-11-18", dimensions: ["date"], rowLimit: 10, type: "web" };
    expect((await query(valid)).status).toBe(200);
    bench.clock.now += 3599 * 1000;
    expect((await query(valid)).status).toBe(401);
  });

  it("registers a daily task at the configured hour", async () => {
    const { bench, plugin } = await setup({ sync_hour_utc: 4 });
    const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
    expect(await plugin.registerScheduledTasks(ctx)).toMatchObject([
      { taskId: "gsc-integration.daily-sync", schedule: { cronExpression: "0 4 * * *" } },
    ]);
  });
});

describe("gsc-integration dates", () => {
  it("are Los Angeles calendar dates, daylight saving time included", () => {
    expect(dateInZone(new Date("2026-03-08T07:59:00Z"))).toBe("2026-03-07"); // 23:59 PST
    expect(dateInZone(new Date("2026-03-08T08:00:00Z"))).toBe("2026-03-08"); // 00:00 PST
    expect(dateInZone(new Date("2026-07-01T06:59:00Z"))).toBe("2026-06-30"); // 23:59 PDT
    expect(dateInZone(new Date("2026-07-01T07:00:00Z"))).toBe("2026-07-01"); // 00:00 PDT
    expect(syncRange(new Date("2027-01-01T05:00:00Z"), 2, 3)).toEqual({
      startDate: "2026-12-27",
      endDate: "2026-12-29",
    });
  });
});
