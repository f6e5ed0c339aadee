/** Plugin data panels (Search Console clicks and impressions, Ahrefs metrics, …) as charts. */
import type { Hono } from "hono";
import { abortHookContext, contextForCall, type HookContext } from "../../../context.ts";
import { errorMessage } from "../../../errors.ts";
import type { DataPanel, DataSeriesHooks } from "../../../hooks.ts";
import { LineChart } from "../charts.tsx";
import { tenantFor, type Ui, type UiEnv } from "../context.ts";
import { Notice } from "../layout.tsx";
import { TenantLayout } from "./tenants.tsx";

/** A plugin's dataSeries gets this long before its panels are reported as unavailable. */
const DATA_TIMEOUT_MS = 10_000;
const COLORS = ["#1d4ed8", "#7e22ce", "#067647", "#b42318", "#8a5a00"];

export function registerDataRoutes(app: Hono<UiEnv>, ui: Ui): void {
  app.get("/tenants/:id/data", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const kernel = ui.deps.kernel;
    const ctx = kernel.context(tenant, { metadata: { source: "dashboard" } });
    // By the method itself: the registry's hook detection does not list dataSeries.
    const sources = kernel.registry.list().filter((p) =>
      tenant.plugins[p.name]?.enabled === true &&
      typeof (p.plugin as Partial<DataSeriesHooks>).dataSeries === "function"
    );
    const results = await Promise.all(sources.map(async (p) => {
      const call = contextForCall(ctx); // its signal aborts when the page stops waiting for this plugin
      try {
        const panels = await withTimeout(
          Promise.resolve().then(() => (p.plugin as unknown as DataSeriesHooks).dataSeries(call)),
          DATA_TIMEOUT_MS,
          call,
        );
        return { plugin: p.name, panels: Array.isArray(panels) ? panels : [] };
      } catch (error) {
        kernel.logger.warn("dataSeries failed", { plugin: p.name, tenant_id: tenant.id, error: errorMessage(error) });
        // Shown on the page: scrubbed, as history is, in case the plugin's message quotes a secret.
        return { plugin: p.name, panels: [] as DataPanel[], error: kernel.log.scrub(errorMessage(error), tenant.id) };
      }
    }));
    return c.html(
      <TenantLayout c={c} ui={ui} tenant={tenant} title="Data" tab="data" crumbs={[{ label: "Data" }]}>
        <h1>Data</h1>
        {results.length === 0 ? <p>None of this tenant's enabled plugins collects data to chart.</p> : null}
        {results.map((r, i) => (
          <section aria-labelledby={`data-${i}`}>
            <h2 id={`data-${i}`}>{r.plugin}</h2>
            {r.error ? <Notice kind="bad">The data could not be loaded: {r.error}</Notice> : null}
            {!r.error && r.panels.length === 0 ? <p>No data collected yet.</p> : null}
            {r.panels.map((panel, j) => (
              <div class="card">
                <h3>{panel.title}</h3>
                <div class="charts">
                  {panel.series.map((s, k) => (
                    <LineChart
                      id={`chart-${i}-${j}-${k}`}
                      title={s.name}
                      unit={s.unit}
                      points={s.points}
                      color={COLORS[k % COLORS.length]}
                    />
                  ))}
                </div>
              </div>
            ))}
          </section>
        ))}
      </TenantLayout>,
    );
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, call: HookContext): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${ms / 1000} s`);
      abortHookContext(call, error);
      reject(error);
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}
