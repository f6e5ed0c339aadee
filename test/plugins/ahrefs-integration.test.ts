import { afterEach, describe, expect, it } from "vitest";
import { AhrefsIntegrationPlugin, loadSnapshots, snapshotKey } from "../../plugins/ahrefs-integration/index.ts";
import { type FakeAhrefs, startFakeAhrefs } from "../fakes/ahrefs.ts";
import { benchFor, instantRetries, kvOperations, recordingDriver, type StorageCall, TENANT } from "./helpers.ts";

const TOKEN = "ahrefs-test-token-0123456789";
let ahrefs: FakeAhrefs | undefined;
afterEach(async () => {
  await ahrefs?.close();
  ahrefs = undefined;
});

const START = Date.parse("2026-11-20T05:00:00Z");
const SITES = Array.from({ length: 50 }, (_, i) => `site${i}.example`);

async function setup(
  config: Record<string, unknown> = {},
  units = 10_000,
  token = TOKEN,
  knownTargets = ["acme.com", "blog.acme.com", ...SITES],
  { perMinute, driver }: { perMinute?: number; driver?: ReturnType<typeof recordingDriver> } = {},
) {
  const clock = { now: START };
  ahrefs = await startFakeAhrefs({
    token: TOKEN,
    units,
    knownTargets,
    now: () => clock.now,
    ...(perMinute ? { perMinute } : {}),
  });
  const sleeps: number[] = [];
  const plugin = new AhrefsIntegrationPlugin({
    allowInsecureUrls: true,
    apiBaseUrl: `${ahrefs.url}/v3`,
    // Every wait (the HTTP client's backoff, the pacer's) moves the clock the kernel and the fake share.
    http: { ...instantRetries, sleep: async (ms: number) => void (sleeps.push(ms), clock.now += ms) },
  });
  const bench = await benchFor(
    plugin,
    { targets: ["acme.com"], keywords_limit: 3, ...config },
    {
      api_token: token,
    },
    clock,
    driver,
  );
  return { bench, plugin, ahrefs, sleeps };
}

/** The most requests the fake let through in any 60 s. */
function busiestMinute(accepted: number[]): number {
  return Math.max(0, ...accepted.map((t) => accepted.filter((u) => u >= t && u < t + 60_000).length));
}

const requestedTargets = (fake: FakeAhrefs) =>
  fake.requests.map((r) => new URL(r.url, "http://x").searchParams).map((p) => `${p.get("target")}@${p.get("date")}`);

describe("ahrefs-integration", () => {
  it("stores a snapshot per target and date with every enabled feature", async () => {
    const { bench, plugin, ahrefs } = await setup({ targets: ["acme.com", "blog.acme.com"], country: "us" });
    const result = await bench.runTask();
    expect(result).toEqual({
      success: true,
      data: { date: "2026-11-20", targets: 2, snapshots_stored: 2, api_calls: 8 },
    });
    const [snapshot] = await loadSnapshots(plugin.storage(TENANT), "acme.com");
    expect(snapshot).toMatchObject({
      target: "acme.com",
      date: "2026-11-20",
      domain_rating: 48,
      ahrefs_rank: 99_992,
      backlinks: 8000,
      refdomains: 400,
      org_keywords: 2400,
      org_keywords_1_3: 160,
      org_traffic: 7200,
      org_cost: 1234,
    });
    expect(snapshot!.keywords).toHaveLength(3);
    expect(snapshot!.keywords![0]).toEqual({
      keyword: "kw 0",
      volume: 1,
      best_position: 1,
      best_position_url: "https://acme.com/p0",
      sum_traffic: 1,
      keyword_difficulty: 1,
    });
    const kw = ahrefs.requests.find((r) => r.url.includes("organic-keywords"))!;
    const params = new URL(kw.url, "http://x").searchParams;
    expect(Object.fromEntries(params)).toMatchObject({
      target: "acme.com",
      date: "2026-11-20",
      mode: "subdomains",
      country: "us",
      order_by: "sum_traffic:desc",
      limit: "3",
    });
    expect(kw.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("calls only the endpoints of the enabled features", async () => {
    const { bench, ahrefs } = await setup({ enabled_features: ["backlinks"] });
    await bench.runTask();
    expect(ahrefs.requests.map((r) => new URL(r.url, "http://x").pathname)).toEqual([
      "/v3/site-explorer/domain-rating",
      "/v3/site-explorer/backlinks-stats",
    ]);
  });

  it("stops when API units run out (403 with the API's error body) and keeps what it fetched", async () => {
    const { bench, plugin } = await setup({ targets: ["acme.com", "blog.acme.com"] }, 5);
    const result = await bench.runTask();
    expect(result).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/API units limit reached.*\(API units exhausted or not in plan\)/),
      data: { stopped_by: "units", snapshots_stored: 1, api_calls: 4 },
    });
    const [partial] = await loadSnapshots(plugin.storage(TENANT), "acme.com");
    expect(partial).toMatchObject({ domain_rating: 48, org_traffic: 7200 });
    expect(partial!.keywords).toBeUndefined();
  });

  it("waits out a 429 with a short Retry-After and succeeds", async () => {
    const { bench, ahrefs, sleeps } = await setup();
    ahrefs.failNext.push({ status: 429, headers: { "retry-after": "2" }, body: { error: "Rate limit exceeded" } });
    expect((await bench.runTask()).success).toBe(true);
    expect(sleeps).toEqual([2000, 1000, 1000]); // the Retry-After, then the pacer's 1 s spacing
  });

  it("stops on a 429 asking for longer than the cap and reports it", async () => {
    const { bench, ahrefs, sleeps } = await setup();
    ahrefs.failNext.push({ status: 429, headers: { "retry-after": "600" }, body: { error: "Rate limit exceeded" } });
    expect(await bench.runTask()).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/rate limited; retry after 600 s/),
      data: { stopped_by: "rate_limited" },
    });
    expect(sleeps).toEqual([]);
  });

  it("paces 50 targets × 4 calls to 60 a minute: one run takes every snapshot, and no request is refused", async () => {
    const { bench, ahrefs } = await setup({ targets: SITES });
    expect(await bench.runTask()).toEqual({
      success: true,
      data: { date: "2026-11-20", targets: 50, snapshots_stored: 50, api_calls: 200 },
    });
    expect(ahrefs.rateLimited).toBe(0);
    expect(busiestMinute(ahrefs.accepted)).toBeLessThanOrEqual(60);
    expect(bench.clock.now - START).toBeLessThan(540_000); // inside the task's 600 s, with its margin
  });

  it("a 429 without Retry-After (the window spent by another client of the key) waits a whole window and goes on", async () => {
    const { bench, ahrefs, sleeps } = await setup();
    ahrefs.accepted.push(...Array.from({ length: 60 }, () => START - 1000));
    expect(await bench.runTask()).toMatchObject({ success: true, data: { snapshots_stored: 1 } });
    // The HTTP client's three short backoffs (about 3.5 s) do not reach the end of the window; the pacer's wait does.
    expect(sleeps.slice(0, 3).reduce((a, b) => a + b)).toBeLessThan(4000);
    expect(sleeps[3]).toBe(60_000);
    expect(ahrefs.rateLimited).toBe(4);
  });

  it("continues in the next run where a run stopped at its time limit", async () => {
    // 6 a minute: 54 requests fit in the 540 s a run may use, 27 targets of two calls each.
    const { bench, ahrefs } = await setup({ targets: SITES, enabled_features: ["backlinks"], requests_per_minute: 6 });
    expect(await bench.runTask()).toMatchObject({
      success: false,
      errorMessage: "stopped (deadline) with 23 snapshot(s) left; the next run continues",
      data: { snapshots_stored: 27, api_calls: 54, stopped_by: "deadline", remaining: 23 },
    });
    bench.clock.now += 90_000; // the scheduler's retry
    expect(await bench.runTask()).toMatchObject({ success: true, data: { snapshots_stored: 23, api_calls: 46 } });
    const asked = requestedTargets(ahrefs);
    expect(new Set(asked).size).toBe(50);
    expect(asked).toHaveLength(100); // every target's two calls, none twice
    expect(busiestMinute(ahrefs.accepted)).toBeLessThanOrEqual(6);
  });

  // Workers KV takes about one write per second per key. The record used to be rewritten after
  // every target: at 6,000 requests a minute with keywords only, 50 writes in half a second.
  it("writes the day's progress record at most once a second, even at 6,000 requests a minute", async () => {
    const calls: StorageCall[] = [];
    const { bench } = await setup(
      { targets: SITES, enabled_features: ["keywords"], requests_per_minute: 6000 },
      10_000,
      TOKEN,
      undefined,
      { perMinute: 6000, driver: recordingDriver(calls) },
    );
    calls.length = 0;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { snapshots_stored: 50, api_calls: 50 } });
    const writes = calls.filter((c) => c.op !== "get" && c.op !== "getMany" && c.op !== "list")
      .filter((c) => c.keys[0]!.endsWith(":progress:2026-11-20"));
    expect(writes.length).toBeGreaterThanOrEqual(2); // written at the start, deleted when the day is complete
    expect(writes.at(-1)!.op).toBe("delete");
    for (const [i, write] of writes.entries()) {
      if (i > 0) expect(write.at - writes[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    }
    expect(kvOperations(calls)).toBeLessThan(100);
  });

  it("a progress write the store refuses (KV 429) is logged and written again later; the run goes on", async () => {
    const calls: StorageCall[] = [];
    let refused = 0;
    const refuse = (call: StorageCall) => {
      if (call.op !== "put" || !call.keys[0]!.endsWith(":progress:2026-11-20") || refused >= 2) return undefined;
      refused++;
      return new Error("KV PUT failed: 429 Too Many Requests");
    };
    // 6 a minute: a target every 10 s, so the record is due after every target.
    const { bench } = await setup(
      { targets: SITES.slice(0, 4), enabled_features: ["keywords"], requests_per_minute: 6 },
      10_000,
      TOKEN,
      undefined,
      { driver: recordingDriver(calls, refuse) },
    );
    expect(await bench.runTask()).toMatchObject({ success: true, data: { snapshots_stored: 4 } });
    const warnings = bench.logs.filter((r) => r.msg === "progress not saved; written again with the next write");
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatchObject({ level: "warn", error: "KV PUT failed: 429 Too Many Requests" });
    const writes = calls.filter((c) => (c.op === "put" || c.op === "delete") && c.keys[0]!.includes(":progress:"));
    // Refused at the start and after the second target; written after the third; deleted when complete.
    expect(writes.map((w) => w.op)).toEqual(["put", "put", "put", "delete"]);
  });

  it("a run that stops writes the progress it made, a second after the last write", async () => {
    const calls: StorageCall[] = [];
    // 10 units: 3 targets' keywords (3 each), then the API refuses and the run stops.
    const { bench } = await setup(
      { targets: SITES.slice(0, 5), enabled_features: ["keywords"], requests_per_minute: 6000 },
      10,
      TOKEN,
      undefined,
      { perMinute: 6000, driver: recordingDriver(calls) },
    );
    expect(await bench.runTask()).toMatchObject({ data: { stopped_by: "units", remaining: 2 } });
    const writes = calls.filter((c) => c.op === "put" && c.keys[0]!.endsWith(":progress:2026-11-20"));
    expect(writes).toHaveLength(2);
    expect(writes[1]!.at - writes[0]!.at).toBeGreaterThanOrEqual(1000);
    bench.clock.now += 90_000;
    ahrefs!.unitsLeft = 100;
    ahrefs!.requests.length = 0;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { snapshots_stored: 2 } });
    expect(requestedTargets(ahrefs!)).toEqual(["site3.example@2026-11-20", "site4.example@2026-11-20"]);
  });

  it("the next day's run first finishes the day a stopped run left", async () => {
    // One API unit: acme.com's metrics, then blog.acme.com is refused (403) and the run stops.
    const { bench, ahrefs } = await setup(
      { targets: ["acme.com", "blog.acme.com"], enabled_features: ["rankings"] },
      1,
    );
    expect(await bench.runTask()).toMatchObject({ data: { stopped_by: "units", remaining: 1 } });
    expect(requestedTargets(ahrefs)).toEqual(["acme.com@2026-11-20", "blog.acme.com@2026-11-20"]);
    ahrefs.unitsLeft = 100; // a new billing period
    ahrefs.requests.length = 0;
    bench.clock.now = Date.parse("2026-11-21T05:00:00Z");
    expect(await bench.runTask()).toMatchObject({
      success: true,
      data: { date: "2026-11-21", snapshots_stored: 3, continued: ["2026-11-20"] },
    });
    expect(requestedTargets(ahrefs)).toEqual([
      "blog.acme.com@2026-11-20",
      "acme.com@2026-11-21",
      "blog.acme.com@2026-11-21",
    ]);
  });

  it("the fake refuses the 61st request of a minute with a bare 429, and checks a request before a queued failure", async () => {
    const { ahrefs } = await setup();
    const get = (query: string) =>
      fetch(`${ahrefs.url}/v3/site-explorer/domain-rating?${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    ahrefs.failNext.push({ status: 500 });
    expect((await get("date=2026-11-20")).status).toBe(400); // no target
    expect(ahrefs.failNext).toHaveLength(1);
    ahrefs.failNext.length = 0;
    for (let i = 0; i < 60; i++) expect((await get("target=acme.com&date=2026-11-20")).status).toBe(200);
    const refused = await get("target=acme.com&date=2026-11-20");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBeNull();
  });

  it("retries 500s", async () => {
    const { bench, ahrefs } = await setup({ enabled_features: ["rankings"] });
    ahrefs.failNext.push({ status: 500 }, { status: 502 });
    expect(await bench.runTask()).toMatchObject({ success: true, data: { snapshots_stored: 1 } });
    expect(ahrefs.requests).toHaveLength(3);
  });

  it("a rejected token (401) stops the run without retries", async () => {
    const { bench, ahrefs } = await setup({ targets: ["acme.com", "blog.acme.com"] }, 100, "wrong-token-abcdefgh");
    expect(await bench.runTask()).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/API token rejected/),
      data: { stopped_by: "auth", api_calls: 1 },
    });
    expect(ahrefs.requests).toHaveLength(1);
    expect(bench.lines.join("\n")).not.toContain("wrong-token-abcdefgh");
  });

  it("an invalid target fails alone; the others are still snapshotted", async () => {
    const { bench } = await setup({ targets: ["nope.example", "acme.com"] });
    expect(await bench.runTask()).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/nope.example: HTTP 400: invalid target/),
      data: { snapshots_stored: 1 },
    });
  });

  it("charts 50 targets with 120 days each within a bound of storage operations (batch reads)", async () => {
    const calls: StorageCall[] = [];
    const { bench, plugin } = await setup({ targets: SITES }, 10_000, TOKEN, undefined, {
      driver: recordingDriver(calls),
    });
    const storage = plugin.storage(TENANT);
    for (const target of SITES) {
      for (let d = 0; d < 120; d++) {
        const date = new Date(START - d * 86_400_000).toISOString().slice(0, 10);
        await storage.put(snapshotKey(target, date), { target, date, takenAt: date, domain_rating: d });
      }
    }
    calls.length = 0;
    const panels = await plugin.dataSeries(bench.kernel.context(await bench.kernel.requireTenant(TENANT)));
    expect(panels).toHaveLength(50);
    expect(panels[0]!.series[0]!.points).toHaveLength(120);
    // One list and two batch reads per target; a get per snapshot was 6,050.
    expect(kvOperations(calls)).toBeLessThanOrEqual(200);
  });

  it("charts Domain Rating, backlinks and traffic over time", async () => {
    const { bench, plugin } = await setup();
    await bench.runTask();
    bench.clock.now += 86_400_000;
    const ctx = bench.kernel.context(await bench.kernel.requireTenant(TENANT));
    const tasks = await plugin.registerScheduledTasks(ctx);
    const next = new Date(bench.clock.now);
    await plugin.executeScheduledTask(tasks[0]!, ctx, {
      taskId: tasks[0]!.taskId,
      executionId: "e2",
      scheduledTime: next,
      actualTime: next,
      attempt: 1,
      tenantId: TENANT,
      correlationId: null,
      signal: new AbortController().signal,
    });
    const [panel] = await plugin.dataSeries(ctx);
    expect(panel!.title).toBe("Ahrefs: acme.com");
    expect(panel!.series.find((s) => s.name === "domain_rating")!.points).toEqual([
      { t: "2026-11-20", v: 48 },
      { t: "2026-11-21", v: 48 },
    ]);
    expect(panel!.series.map((s) => s.name)).toEqual([
      "domain_rating",
      "backlinks",
      "refdomains",
      "org_keywords",
      "org_traffic",
    ]);
  });
});
