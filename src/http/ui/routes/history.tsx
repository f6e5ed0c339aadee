/** The tenant's execution history: hook outcomes, task runs and health checks, filterable. */
import type { Hono } from "hono";
import type { ExecutionKind } from "../../../store/history.ts";
import { tenantFor, type Ui, type UiEnv } from "../context.ts";
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
    return c.html(
      <TenantLayout c={c} ui={ui} tenant={tenant} title="History" tab="history" crumbs={[{ label: "History" }]}>
        <h1>Execution history</h1>
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
        <RunsTable runs={shown.slice(0, 100)} label="Execution history" />
      </TenantLayout>,
    );
  });
}
