/** The tenants this session may see, and one tenant's overview. */
import type { Hono } from "hono";
import type { TenantRecord } from "../../../store/tenants.ts";
import { sessionView, tenantFor, type Ui, type UiContext, type UiEnv } from "../context.ts";
import { formatTime, relativeTime } from "../format.ts";
import { Badge, Layout, TableWrap } from "../layout.tsx";

/** A platform token lists at most this many tenants on one page. */
const PAGE = 100;

export function registerTenantRoutes(app: Hono<UiEnv>, ui: Ui): void {
  app.get("/tenants", async (c) => {
    const principal = c.get("principal");
    let ids: readonly string[];
    let next: string | null = null;
    const requested = c.req.query("page") ?? null;
    let expired = false;
    if (principal.tenants === "*") {
      let page;
      try {
        page = await ui.deps.kernel.tenants.page(requested, PAGE);
      } catch (error) {
        if (requested === null) throw error;
        // A page link whose cursor the store no longer accepts (or never made): start over.
        expired = true;
        page = await ui.deps.kernel.tenants.page(null, PAGE);
      }
      ids = page.ids;
      next = page.cursor;
    } else ids = principal.tenants;
    const tenants = (await Promise.all(ids.map((id) => ui.deps.kernel.getTenant(id))))
      .filter((t): t is Readonly<TenantRecord> => t !== null);
    const paged = principal.tenants === "*" && requested !== null && !expired;
    return c.html(
      <Layout base={ui.base} title="Tenants" session={sessionView(c)} crumbs={[{ label: "Tenants" }]}>
        <h1>Tenants</h1>
        {tenants.length === 0
          ? <p>No tenants {principal.tenants === "*" ? "exist yet" : "that this sign-in can see exist"}.</p>
          : (
            <TableWrap label="Tenants">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Tenant</th>
                    <th scope="col">Plan</th>
                    <th scope="col" class="num">Plugins enabled</th>
                    <th scope="col" class="hide-narrow">Id</th>
                  </tr>
                </thead>
                <tbody>
                  {tenants.map((t) => (
                    <tr>
                      <td>
                        <a href={`${ui.base}/tenants/${t.id}`}>{t.slug}</a>
                      </td>
                      <td>{t.plan}</td>
                      <td class="num">{Object.values(t.plugins).filter((p) => p.enabled).length}</td>
                      <td class="hide-narrow">
                        <code>{t.id}</code>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
        {expired ? <p class="muted">That page link has expired; this is the first page.</p> : null}
        {next || paged
          ? (
            <nav aria-label="Tenant pages" class="pager">
              {paged ? <a href={`${ui.base}/tenants`}>First page</a> : null}
              {next ? <a href={`${ui.base}/tenants?page=${encodeURIComponent(next)}`}>Next {PAGE} tenants</a> : null}
            </nav>
          )
          : null}
      </Layout>,
    );
  });

  app.get("/tenants/:id", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const kernel = ui.deps.kernel;
    const plugins = kernel.registry.list();
    const enabled = plugins.filter((p) => tenant.plugins[p.name]?.enabled);
    const [tasks, health, failures] = await Promise.all([
      ui.deps.scheduler.tasks(tenant.id).catch(() => null),
      ui.deps.scheduler.health(tenant.id, { historyLimit: 1 }).catch(() => null),
      kernel.history.list(tenant.id, { limit: 50 }).then((r) => r.filter((x) => x.status === "failed").slice(0, 5)),
    ]);
    const now = kernel.now();
    return c.html(
      <TenantLayout c={c} ui={ui} tenant={tenant} title={tenant.slug} tab="overview">
        <h1>{tenant.slug}</h1>
        <div class="grid">
          <section class="card" aria-labelledby="ov-plugins">
            <h2 id="ov-plugins">Plugins</h2>
            <p>
              <span class="stat">{`${enabled.length} of ${plugins.length}`}</span> enabled
            </p>
            <p>
              <a href={`${ui.base}/tenants/${tenant.id}/plugins`}>Settings → Plugins</a>
            </p>
          </section>
          <section class="card" aria-labelledby="ov-tasks">
            <h2 id="ov-tasks">Scheduled tasks</h2>
            <p>
              <span class="stat">{tasks ? String(tasks.length) : "—"}</span>{" "}
              {tasks && tasks.length
                ? `scheduled, next run ${relativeTime(nextOf(tasks.map((t) => t.nextRunAt)), now)}`
                : "scheduled"}
            </p>
            <p>
              <a href={`${ui.base}/tenants/${tenant.id}/tasks`}>Scheduled tasks</a>
            </p>
          </section>
          <section class="card" aria-labelledby="ov-health">
            <h2 id="ov-health">Health</h2>
            {health && health.length
              ? (
                <ul>
                  {health.map((h) => (
                    <li>
                      <Badge status={h.status} /> {h.checkType} · {h.target}
                    </li>
                  ))}
                </ul>
              )
              : <p>No health checks yet.</p>}
            <p>
              <a href={`${ui.base}/tenants/${tenant.id}/health`}>Health checks</a>
            </p>
          </section>
        </div>
        <h2>Recent failures</h2>
        {failures.length
          ? (
            <ul>
              {failures.map((f) => (
                <li>
                  {formatTime(f.at)} · {f.plugin} · {f.name}: {f.error ?? f.reason ?? "failed"}
                </li>
              ))}
            </ul>
          )
          : <p>None recorded.</p>}
        <p class="muted">
          Plan {tenant.plan} · id <code>{tenant.id}</code> · created {formatTime(tenant.createdAt)}
        </p>
      </TenantLayout>,
    );
  });
}

function nextOf(times: (string | null)[]): string | null {
  const valid = times.filter((t): t is string => !!t).sort();
  return valid[0] ?? null;
}

/** A page inside one tenant: breadcrumbs, the tenant's tabs. */
export function TenantLayout(props: {
  c: UiContext;
  ui: Ui;
  tenant: Readonly<TenantRecord>;
  title: string;
  tab: "overview" | "plugins" | "tasks" | "health" | "data" | "history";
  crumbs?: { label: string; href?: string }[];
  children?: unknown;
}) {
  const { ui, tenant } = props;
  const tenantHref = `${ui.base}/tenants/${tenant.id}`;
  return (
    <Layout
      base={ui.base}
      title={props.title}
      session={sessionView(props.c)}
      tenant={{ id: tenant.id, slug: tenant.slug, tab: props.tab }}
      crumbs={[
        { label: "Tenants", href: `${ui.base}/tenants` },
        { label: tenant.slug, href: tenantHref },
        ...(props.crumbs ?? []),
      ]}
    >
      {props.children as never}
    </Layout>
  );
}
