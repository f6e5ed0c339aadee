/** Scheduled tasks: schedule in cron and words, next run, last result, "Run now", recent runs. */
import type { Hono } from "hono";
import { errorMessage, KernelError } from "../../../errors.ts";
import type { TaskResult } from "../../../hooks.ts";
import type { TaskView } from "../../../scheduler/types.ts";
import type { ExecutionRecord } from "../../../store/history.ts";
import type { TenantRecord } from "../../../store/tenants.ts";
import { tenantFor, type Ui, type UiContext, type UiEnv } from "../context.ts";
import { formatDuration, formatTime, relativeTime } from "../format.ts";
import { Badge, Notice, TableWrap } from "../layout.tsx";
import { TenantLayout } from "./tenants.tsx";

export function registerTaskRoutes(app: Hono<UiEnv>, ui: Ui): void {
  app.get("/tenants/:id/tasks", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const taskId = c.req.query("ran");
    const refused = c.req.query("refused") === "1";
    return c.html(await tasksPage(c, ui, tenant, taskId ? { taskId, refused } : undefined));
  });

  app.post("/tenants/:id/tasks/:taskId/run", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const taskId = c.req.param("taskId");
    const known = (await ui.deps.scheduler.tasks(tenant.id)).some((t) => t.taskId === taskId);
    if (!known) throw new KernelError("ERR_TASK_NOT_FOUND", `There is no task ${taskId} for this tenant.`);
    const back = new URLSearchParams({ ran: taskId });
    try {
      await ui.deps.scheduler.runNow(tenant.id, taskId); // recorded in the history, shown after the redirect
    } catch (error) {
      if (error instanceof KernelError && error.code === "ERR_TASK_NOT_FOUND") throw error;
      // Refused before it ran (e.g. already running). Only a flag travels in the URL: a link must
      // not be able to put words on an admin's page.
      ui.deps.kernel.logger.warn("Run now was refused", {
        tenant_id: tenant.id,
        task: taskId,
        error: errorMessage(error),
      });
      back.set("refused", "1");
    }
    // Post/redirect/get: reloading the result page must not run the task again.
    return c.redirect(`${c.req.path.replace(/\/[^/]+\/run$/, "")}?${back}`, 303);
  });
}

async function tasksPage(
  c: UiContext,
  ui: Ui,
  tenant: Readonly<TenantRecord>,
  ran?: { taskId: string; refused: boolean },
) {
  const [tasks, runs] = await Promise.all([
    ui.deps.scheduler.tasks(tenant.id),
    ui.deps.kernel.history.list(tenant.id, { kind: "task", limit: 30 }),
  ]);
  const result = ran &&
    (ran.refused
      ? { success: false, errorMessage: "It was not started: it may be running already. Nothing was recorded." }
      : lastResult(runs, ran.taskId));
  const now = ui.deps.kernel.now();
  return (
    <TenantLayout
      c={c}
      ui={ui}
      tenant={tenant}
      title="Scheduled tasks"
      tab="tasks"
      crumbs={[{ label: "Scheduled tasks" }]}
    >
      <h1>Scheduled tasks</h1>
      {ran && result ? <RunResult taskId={ran.taskId} result={result} /> : null}
      {tasks.length === 0
        ? <p>No scheduled tasks: none of this tenant's enabled plugins schedules any.</p>
        : (
          <TableWrap label="Scheduled tasks">
            <table>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Last result</th>
                </tr>
              </thead>
              <tbody>
                {tasks.map((t) => (
                  <TaskRow key={t.taskId} ui={ui} csrf={c.get("csrf")} tenantId={tenant.id} task={t} now={now} />
                ))}
              </tbody>
            </table>
          </TableWrap>
        )}
      <h2 id="runs">Recent runs</h2>
      <RunsTable runs={runs} label="Recent task runs" />
    </TenantLayout>
  );
}

function TaskRow(props: { ui: Ui; csrf: string; tenantId: string; task: TaskView; now: number }) {
  const { task } = props;
  const last = task.lastResult;
  return (
    <tr>
      <td>
        <strong>{task.name}</strong>
        <div>
          <code>{task.taskId}</code>
        </div>
        {task.description ? <div class="muted">{task.description}</div> : null}
        <form
          class="run"
          method="post"
          action={`${props.ui.base}/tenants/${props.tenantId}/tasks/${encodeURIComponent(task.taskId)}/run`}
        >
          <input type="hidden" name="csrf" value={props.csrf} />
          <button type="submit" aria-label={`Run ${task.name} now`}>Run now</button>
        </form>
      </td>
      <td>
        <div>{task.scheduleText}</div>
        {task.schedule.cronExpression
          ? (
            <div>
              <code>{task.schedule.cronExpression}</code>
              {task.schedule.timezone ? <span class="muted">{` (${task.schedule.timezone})`}</span> : null}
            </div>
          )
          : <div class="muted">every {task.schedule.intervalSeconds} s</div>}
      </td>
      <td>
        {task.nextRunAt
          ? (
            <>
              <time datetime={task.nextRunAt}>{formatTime(task.nextRunAt)}</time>
              <div class="muted">{relativeTime(task.nextRunAt, props.now)}</div>
            </>
          )
          : "—"}
      </td>
      <td>
        {last
          ? (
            <>
              <Badge status={last.status} /> <time datetime={last.at}>{formatTime(last.at)}</time>
              {last.error ? <div class="error-text">{last.error}</div> : null}
            </>
          )
          : <span class="muted">never ran</span>}
      </td>
    </tr>
  );
}

/** The newest recorded run of a task, as the TaskResult it reported. */
function lastResult(runs: ExecutionRecord[], taskId: string): TaskResult | undefined {
  const run = runs.find((r) => r.name === taskId);
  if (!run) return undefined;
  return {
    success: run.status === "succeeded",
    ...(run.data ? { data: run.data } : {}),
    ...(run.error ? { errorMessage: run.error } : {}),
    ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : {}),
  };
}

function RunResult(props: { taskId: string; result: TaskResult }) {
  const { result } = props;
  return (
    <Notice kind={result.success ? "ok" : "bad"}>
      <h2 class="result-title">
        {props.taskId} {result.success ? "succeeded" : "failed"}
        {result.durationMs !== undefined ? ` in ${formatDuration(result.durationMs)}` : ""}
      </h2>
      {result.errorMessage ? <p>{result.errorMessage}</p> : null}
      {result.data && Object.keys(result.data).length ? <pre>{JSON.stringify(result.data, null, 2)}</pre> : null}
    </Notice>
  );
}

/** Execution records, newest first, with failures and their messages. */
/** `replay`: where a final failed hook outcome's Replay button posts (the history page), with the session's CSRF token. */
export function RunsTable(
  props: {
    runs: ExecutionRecord[];
    label: string;
    replay?: { action: string; csrf: string };
    /** Where an event's page is (its runs and their timings): its hook runs link there. */
    eventHref?: (eventId: string) => string;
  },
) {
  if (!props.runs.length) return <p>Nothing recorded yet.</p>;
  // Replay is offered on the latest final outcome of each (event, plugin) only (runs are newest
  // first), and only while it is a failure: an older failure that a replay since mended has none.
  const latest = new Set<ExecutionRecord>();
  const seen = new Set<string>();
  for (const r of props.runs) {
    if (r.kind !== "hook" || !r.final || !r.eventId) continue;
    const key = `${r.eventId}\n${r.plugin}`;
    if (!seen.has(key)) latest.add(r);
    seen.add(key);
  }
  return (
    <TableWrap label={props.label}>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Status</th>
            <th scope="col" class="num">Attempt</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((r) => (
            <tr>
              <td>
                <time datetime={r.at}>{formatTime(r.at)}</time>
              </td>
              <td>
                <span class="muted">{r.kind} · {r.plugin}</span>
                <div>
                  <code>{r.name}</code>
                  {props.eventHref && r.eventId
                    ? (
                      <>
                        {" "}
                        <a href={props.eventHref(r.eventId)}>timings</a>
                      </>
                    )
                    : null}
                </div>
              </td>
              <td>
                <Badge status={r.status} />
                {r.final === false ? <div class="muted">will retry</div> : null}
              </td>
              <td class="num">{r.attempt ?? "—"}</td>
              <td class="num">{formatDuration(r.durationMs)}</td>
              <td>
                {r.error ? <span class="error-text">{r.error}</span> : <span class="muted">{r.reason ?? ""}</span>}
                {props.replay && latest.has(r) && r.eventId && r.plugin &&
                    (r.status === "failed" || r.status === "timed_out")
                  ? (
                    <form method="post" action={props.replay.action} class="run">
                      <input type="hidden" name="csrf" value={props.replay.csrf} />
                      <input type="hidden" name="event" value={r.eventId} />
                      <input type="hidden" name="plugin" value={r.plugin} />
                      <button type="submit" class="secondary" aria-label={`Replay event ${r.eventId} for ${r.plugin}`}>
                        Replay
                      </button>
                    </form>
                  )
                  : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}
