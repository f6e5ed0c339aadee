/** Server-rendered SVG charts: ticks, empty and single-point charts, summaries, detail series from health results. */
import { describe, expect, it } from "vitest";
import { LineChart, niceTicks, StatusStrip } from "../../src/http/ui/charts.tsx";
import { detailSeries } from "../../src/http/ui/routes/health.tsx";
import type { HealthCheckView } from "../../src/scheduler/types.ts";

describe("niceTicks", () => {
  it("covers the range with steps of 1, 2 or 5 × 10^n", () => {
    expect(niceTicks(0, 80, 4)).toEqual([0, 20, 40, 60, 80]);
    expect(niceTicks(0, 1840, 4)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(0, 0.9, 4)).toEqual([0, 0.5, 1]);
    expect(niceTicks(0, 0.7, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-3, 7, 4)).toEqual([-5, 0, 5, 10]);
    const ticks = niceTicks(12, 13, 4);
    expect(ticks[0]).toBeLessThanOrEqual(12);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(13);
  });
});

describe("LineChart", () => {
  it("says so when there is no data", () => {
    const html = String(LineChart({ id: "c", title: "Latency", points: [] }));
    expect(html).toContain("No data yet.");
    expect(html).not.toContain("<svg");
  });

  it("draws one point in the middle, with a text summary", () => {
    const html = String(LineChart({ id: "c", title: "Clicks", points: [{ t: "2026-11-20", v: 5 }] }));
    expect(html).toMatch(/<path d="M\d+(\.\d+)?,\d+(\.\d+)?"/);
    expect(html).toContain("1 value from 2026-11-20 to 2026-11-20; lowest 5, highest 5, latest 5.");
  });

  it("plots by time, labels the axes, and lists the numbers newest first in a table", () => {
    const points = [
      { t: "2026-11-20T00:00:00Z", v: 100 },
      { t: "2026-11-21T00:00:00Z", v: 250 },
      { t: "2026-11-23T00:00:00Z", v: 175 },
    ];
    const html = String(LineChart({ id: "lat", title: "Latency", unit: "ms", points }));
    expect(html).toMatch(/role="img" aria-labelledby="lat-title lat-desc"/);
    expect(html).toContain("lowest 100 ms, highest 250 ms, latest 175 ms.");
    expect((html.match(/<circle /g) ?? []).length).toBe(3);
    const xs = [...html.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    // Day 1 → day 2 is half the distance of day 2 → day 4.
    expect(Math.round((xs[2]! - xs[1]!) / (xs[1]! - xs[0]!))).toBe(2);
    expect(html).toContain("<title>2026-11-21 00:00 UTC: 250 ms</title>");
    expect(html).toMatch(/>2026-11-20<\/text>/);
    const rows = [...html.matchAll(/<tr><td>([^<]+)<\/td><td class="num">([^<]+)<\/td><\/tr>/g)].map((m) => m[2]);
    expect(rows).toEqual(["175", "250", "100"]);
  });

  it("ignores points that are not numbers or times", () => {
    const html = String(
      LineChart({
        id: "c",
        title: "x",
        points: [{ t: "nope", v: 1 }, { t: "2026-11-20", v: NaN }, { t: "2026-11-21", v: 2 }],
      }),
    );
    expect((html.match(/<circle /g) ?? []).length).toBe(1);
  });
});

describe("StatusStrip", () => {
  it("one square per result, uptime in words", () => {
    const html = String(StatusStrip({
      id: "s",
      title: "Uptime",
      uptime: 2 / 3,
      cells: [
        { t: "2026-11-20T00:00:00Z", status: "healthy" },
        { t: "2026-11-20T00:05:00Z", status: "unhealthy", label: "HTTP 502" },
        { t: "2026-11-20T00:10:00Z", status: "healthy" },
      ],
    }));
    expect((html.match(/<rect /g) ?? []).length).toBe(3);
    expect(html).toContain('aria-label="Uptime: 66.7% healthy over the last 3 results"');
    expect(html).toContain("<title>2026-11-20 00:05 UTC: unhealthy — HTTP 502</title>");
  });
});

describe("detailSeries", () => {
  it("turns numeric details into series, oldest first, certificate expiry first", () => {
    const record = (checkedAt: string, details: Record<string, unknown>) => ({
      plugin: "p",
      checkType: "ssl",
      target: "x",
      status: "healthy" as const,
      checkedAt,
      details,
    });
    const view: HealthCheckView = {
      plugin: "p",
      checkType: "ssl",
      target: "x",
      status: "healthy",
      uptime: 1,
      latest: null,
      history: [
        record("2026-11-20T00:10:00Z", { status_code: 200, days_left: 28, latency_ms: 40, issuer: "CA" }),
        record("2026-11-20T00:05:00Z", { status_code: 200, days_left: 29, latency_ms: 45 }),
      ],
    };
    const series = detailSeries(view);
    expect(series.map((s) => [s.key, s.title])).toEqual([
      ["days_left", "Days to certificate expiry"],
      ["status_code", "Status code"],
    ]);
    expect(series[0]!.points).toEqual([{ t: "2026-11-20T00:05:00Z", v: 29 }, { t: "2026-11-20T00:10:00Z", v: 28 }]);
    // Days that are not about a certificate keep their own name.
    const other = detailSeries({
      ...view,
      checkType: "backup",
      history: [record("2026-11-20T00:00:00Z", { retention_days: 7 })],
    });
    expect(other.map((s) => s.title)).toEqual(["Retention days"]);
  });
});
