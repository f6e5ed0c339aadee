/**
 * Health: each check's current status, uptime and latency at a glance, and a page per check with
 * its charts — latency over time, uptime, and every numeric detail the check reports over time
 * (the domain monitor's days to certificate expiry among them).
 */
import type { Hono } from "hono";
import type { HealthCheckView } from "../../../scheduler/types.ts";
import type { TenantRecord } from "../../../store/tenants.ts";
import { LineChart, type Point, StatusStrip } from "../charts.tsx";
import { PageError, tenantFor, type Ui, type UiContext, type UiEnv } from "../context.ts";
import { humanize } from "../form-model.ts";
import { formatDuration, formatTime } from "../format.ts";
import { Badge, Notice, TableWrap } from "../layout.tsx";
import { TenantLayout } from "./tenants.tsx";

const HISTORY = 100;

export function registerHealthRoutes(app: Hono<UiEnv>, ui: Ui): void {
  app.get("/tenants/:id/health", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const checks = await ui.deps.scheduler.health(tenant.id, { historyLimit: HISTORY });
    return c.html(<HealthPage c={c} ui={ui} tenant={tenant} checks={checks} ran={c.req.query("ran")} />);
  });

  app.post("/tenants/:id/health/run", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const results = await ui.deps.scheduler.runHealthCycle(tenant.id);
    return c.redirect(`${ui.base}/tenants/${tenant.id}/health?ran=${results.length}`, 303);
  });

  app.get("/tenants/:id/health/check", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const [plugin, checkType, target] = [c.req.query("plugin"), c.req.query("type"), c.req.query("target")];
    const checks = await ui.deps.scheduler.health(tenant.id, { historyLimit: HISTORY });
    const check = checks.find((h) => h.plugin === plugin && h.checkType === checkType && h.target === target);
    if (!check) throw new PageError(404, "There is no such health check for this tenant.");
    return c.html(<CheckPage c={c} ui={ui} tenant={tenant} check={check} />);
  });
}

function checkHref(ui: Ui, tenantId: string, h: HealthCheckView): string {
  const q = new URLSearchParams({ plugin: h.plugin, type: h.checkType, target: h.target });
  return `${ui.base}/tenants/${tenantId}/health/check?${q}`;
}

function latencyPoints(check: HealthCheckView): Point[] {
  return [...check.history].reverse().filter((r) => typeof r.latencyMs === "number").map((r) => ({
    t: r.checkedAt,
    v: r.latencyMs!,
  }));
}

function HealthPage(
  props: { c: UiContext; ui: Ui; tenant: Readonly<TenantRecord>; checks: HealthCheckView[]; ran?: string },
) {
  const { ui, tenant, c, checks } = props;
  return (
    <TenantLayout c={c} ui={ui} tenant={tenant} title="Health" tab="health" crumbs={[{ label: "Health" }]}>
      <h1>Health</h1>
      {props.ran !== undefined ? <Notice>Ran {props.ran} health checks.</Notice> : null}
      <form method="post" action={`${ui.base}/tenants/${tenant.id}/health/run`}>
        <input type="hidden" name="csrf" value={c.get("csrf")} />
        <button type="submit" class="secondary">Run health checks now</button>
      </form>
      {checks.length === 0
        ? <p>No health checks: none of this tenant's enabled plugins monitors anything.</p>
        : (
          <div class="grid">
            {checks.map((h, i) => (
              <section class="card" aria-labelledby={`check-${i}`}>
                <h2 id={`check-${i}`}>
                  {h.checkType} · {h.target}
                </h2>
                <p>
                  <Badge status={h.status} /> <span class="muted">{h.plugin}</span>
                </p>
                {h.latest
                  ? (
                    <p>
                      {h.latest.message ?? ""}
                      {h.latest.latencyMs !== undefined ? ` · ${formatDuration(h.latest.latencyMs)}` : ""} ·{" "}
                      <time datetime={h.latest.checkedAt}>{formatTime(h.latest.checkedAt)}</time>
                    </p>
                  )
                  : <p class="muted">Not checked yet.</p>}
                <StatusStrip
                  id={`strip-${i}`}
                  title="Uptime"
                  uptime={h.uptime}
                  cells={[...h.history].reverse().map((r) => ({ t: r.checkedAt, status: r.status, label: r.message }))}
                />
                <p>
                  <a href={checkHref(ui, tenant.id, h)}>
                    Charts<span class="visually-hidden">{` for ${h.checkType} ${h.target}`}</span>
                  </a>
                </p>
              </section>
            ))}
          </div>
        )}
    </TenantLayout>
  );
}

/**
 * Numeric `details` keys, each a series over time (the domain monitor's `days_left`, an HTTP
 * status, …). Latency is left out: it has its own chart from `latencyMs`.
 */
export function detailSeries(check: HealthCheckView): { key: string; title: string; points: Point[] }[] {
  const series = new Map<string, Point[]>();
  for (const r of [...check.history].reverse()) {
    for (const [key, v] of Object.entries(r.details ?? {})) {
      if (typeof v !== "number" || !Number.isFinite(v) || /latency/i.test(key)) continue;
      series.set(key, [...(series.get(key) ?? []), { t: r.checkedAt, v }]);
    }
  }
  const certificate = /ssl|tls|cert/i.test(check.checkType);
  // Certificate expiry first: it is the one people come for.
  return [...series].map(([key, points]) => ({ key, title: detailTitle(key, certificate), points })).sort((a, b) =>
    Number(isExpiry(b.key, certificate)) - Number(isExpiry(a.key, certificate))
  );
}

function isExpiry(key: string, certificate: boolean): boolean {
  return /days/i.test(key) && (certificate || /expir/i.test(key));
}

function detailTitle(key: string, certificate: boolean): string {
  return isExpiry(key, certificate) ? "Days to certificate expiry" : humanize(key);
}

function CheckPage(props: { c: UiContext; ui: Ui; tenant: Readonly<TenantRecord>; check: HealthCheckView }) {
  const { ui, tenant, c, check } = props;
  const title = `${check.checkType} · ${check.target}`;
  return (
    <TenantLayout
      c={c}
      ui={ui}
      tenant={tenant}
      title={title}
      tab="health"
      crumbs={[{ label: "Health", href: `${ui.base}/tenants/${tenant.id}/health` }, { label: title }]}
    >
      <h1>{title}</h1>
      <p>
        <Badge status={check.status} /> <span class="muted">checked by {check.plugin}</span>
      </p>
      <StatusStrip
        id="uptime"
        title="Uptime"
        uptime={check.uptime}
        cells={[...check.history].reverse().map((r) => ({ t: r.checkedAt, status: r.status, label: r.message }))}
      />
      <LineChart id="latency" title="Latency over time" unit="ms" points={latencyPoints(check)} />
      {detailSeries(check).map((s, i) => (
        <LineChart
          id={`detail-${i}`}
          title={s.title}
          unit={/days/i.test(s.key) ? "days" : undefined}
          points={s.points}
          color={s.title === "Days to certificate expiry" ? "#8a5a00" : "#1d4ed8"}
        />
      ))}
      <h2>Results</h2>
      <TableWrap label="Health check results">
        <table>
          <thead>
            <tr>
              <th scope="col">Checked</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">Latency</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {check.history.map((r) => (
              <tr>
                <td>
                  <time datetime={r.checkedAt}>{formatTime(r.checkedAt)}</time>
                </td>
                <td>
                  <Badge status={r.status} />
                </td>
                <td class="num">{formatDuration(r.latencyMs)}</td>
                <td>{r.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableWrap>
    </TenantLayout>
  );
}
