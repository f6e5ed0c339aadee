/** The tenant's execution history: hook outcomes, task runs and health checks, filterable. */
import type { Hono } from "hono";
import type { ExecutionKind } from "../../../store/history.ts";
import { PageError, tenantFor, type Ui, type UiEnv } from "../context.ts";
import { Badge, Notice } from "../layout.tsx";
import { Waterfall } from "../waterfall.tsx";
import { TenantLayout } from "./tenants.tsx";
import { RunsTable } from "./tasks.tsx";

const KINDS: ExecutionKind[] = ["hook", "task", "health"];

export function registerHistoryRoutes(app: Hono<UiEnv>, ui: Ui): void {
  app.get("/tenants/:id/history", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const kindParam = c.req.query("kind");
    const kind = KINDS.find((k) => k === kindParam);
    const failedOnly = c.req.query("failed") === "1";
    const records = await ui.deps.kernel.history.list(tenant.id, { limit: failedOnly ? 500 : 100, kind });
    const shown = failedOnly ? records.filter((r) => r.status === "failed" || r.status === "timed_out") : records;
    const replayed = c.req.query("replayed");
    return c.html(
      <TenantLayout c={c} ui={ui} tenant={tenant} title="History" tab="history" crumbs={[{ label: "History" }]}>
        <h1>Execution history</h1>
        {replayed === "1"
          ? <Notice>Replay started: the new outcome is listed here once it has run.</Notice>
          : replayed === "0"
          ? (
            <Notice>
              Nothing was replayed: that plugin's latest outcome for the event is not a failure (it succeeded since, or
              is still running or waiting for its retry).
            </Notice>
          )
          : null}
        <form method="get" class="actions" aria-label="Filter the history">
          <div class="field">
            <label for="kind">Kind</label>
            <select id="kind" name="kind">
              <option value="">All</option>
              {KINDS.map((k) => <option key={k} value={k} selected={k === kind}>{k}</option>)}
            </select>
          </div>
          <div class="check">
            <input type="checkbox" id="failed" name="failed" value="1" checked={failedOnly} />
            <label for="failed">Failures only</label>
          </div>
          <button type="submit" class="secondary">Filter</button>
        </form>
        <RunsTable
          runs={shown.slice(0, 100)}
          label="Execution history"
          replay={{ action: `${ui.base}/tenants/${tenant.id}/history/replay`, csrf: c.get("csrf") }}
          eventHref={(id) => `${ui.base}/tenants/${tenant.id}/history/events/${encodeURIComponent(id)}`}
        />
      </TenantLayout>,
    );
  });

  // One event: each plugin's runs for it, with the waterfall of the spans each run recorded.
  app.get("/tenants/:id/history/events/:event_id", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const eventId = c.req.param("event_id");
    const records = (await ui.deps.kernel.history.list(tenant.id, { limit: 500, kind: "hook" }))
      .filter((r) => r.eventId === eventId)
      .reverse(); // oldest first: the story of the event
    if (!records.length) throw new PageError(404, "No run of this event is in the history (it may have expired).");
    const traceId = records.flatMap((r) => r.spans ?? [])[0]?.traceId;
    return c.html(
      <TenantLayout
        c={c}
        ui={ui}
        tenant={tenant}
        title={`Event ${eventId}`}
        tab="history"
        crumbs={[{ label: "History", href: `${ui.base}/tenants/${tenant.id}/history` }, { label: "Event" }]}
      >
        <h1>
          Event <code>{eventId}</code>
        </h1>
        {traceId
          ? (
            <p>
              Trace <code>{traceId}</code>: the id the CMS sent in{" "}
              <code>traceparent</code>, or one started here, and carried by every outbound call.
            </p>
          )
          : null}
        {records.map((r) => (
          <section aria-label={`${r.plugin}, attempt ${r.attempt ?? 1}`}>
            <h2>
              {r.plugin} <span class="muted">· {r.name} · attempt {r.attempt ?? 1}</span> <Badge status={r.status} />
            </h2>
            <Waterfall spans={r.spans ?? []} label={`Timings of ${r.plugin}, attempt ${r.attempt ?? 1}`} />
          </section>
        ))}
      </TenantLayout>,
    );
  });

  // Replays one event for one plugin through the event pipeline (as POST …/events/{id}/replay does).
  app.post("/tenants/:id/history/replay", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const form = await c.req.formData();
    const event = form.get("event");
    const plugin = form.get("plugin");
    if (typeof event !== "string" || typeof plugin !== "string" || !event || !plugin) {
      throw new PageError(400, "The replay form is missing the event or the plugin.");
    }
    ui.deps.kernel.registry.require(plugin);
    // Only while that plugin's latest outcome for the event is a failure: a second click, or a
    // button on a page loaded before a replay mended it, runs nothing again.
    const { replayed } = await ui.deps.events.replay(tenant.id, event, [plugin], { failedOnly: true });
    // Post/redirect/get, with only a flag in the URL (a link must not put words on the page).
    return c.redirect(`${ui.base}/tenants/${tenant.id}/history?replayed=${replayed.length ? 1 : 0}`, 303);
  });
}
