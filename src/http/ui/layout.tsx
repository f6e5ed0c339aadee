/**
 * The page frame: skip link, header with who is signed in and the sign-out form, breadcrumbs,
 * the tenant's section tabs, one <main>. Every page is a full server-rendered document; the one
 * script (assets/app.js) only adds conveniences.
 */
import type { Child } from "hono/jsx";
import { CSS } from "./styles.ts";

export interface Crumb {
  label: string;
  href?: string;
}

export type TenantTab = "overview" | "plugins" | "tasks" | "health" | "data" | "history";

export interface LayoutProps {
  base: string;
  title: string;
  /** Signed-in subject and the CSRF token for the sign-out form; absent on the sign-in page. */
  session?: { subject: string; csrf: string };
  crumbs?: Crumb[];
  tenant?: { id: string; slug: string; tab: TenantTab };
  children?: Child;
}

const TABS: { tab: TenantTab; label: string; path: string }[] = [
  { tab: "overview", label: "Overview", path: "" },
  { tab: "plugins", label: "Plugins", path: "/plugins" },
  { tab: "tasks", label: "Scheduled tasks", path: "/tasks" },
  { tab: "health", label: "Health", path: "/health" },
  { tab: "data", label: "Data", path: "/data" },
  { tab: "history", label: "History", path: "/history" },
];

export function Layout(props: LayoutProps) {
  const { base, session, tenant } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light" />
        <title>{props.title} · DVP admin</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
        <script src={`${base}/assets/app.js`} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to main content</a>
        <header class="top">
          <a href={`${base}/tenants`}>DVP admin</a>
          {session
            ? (
              <div class="who">
                <span>
                  Signed in as <strong>{session.subject}</strong>
                </span>
                <form method="post" action={`${base}/logout`}>
                  <input type="hidden" name="csrf" value={session.csrf} />
                  <button type="submit">Sign out</button>
                </form>
              </div>
            )
            : null}
        </header>
        <main id="main" tabindex={-1}>
          {props.crumbs?.length
            ? (
              <nav class="crumbs" aria-label="Breadcrumb">
                <ol>
                  {props.crumbs.map((c, i) => (
                    <li>
                      {c.href && i < props.crumbs!.length - 1
                        ? <a href={c.href}>{c.label}</a>
                        : <span aria-current="page">{c.label}</span>}
                    </li>
                  ))}
                </ol>
              </nav>
            )
            : null}
          {tenant
            ? (
              <nav class="tabs" aria-label={`Tenant ${tenant.slug}`}>
                <ul>
                  {TABS.map((t) => (
                    <li>
                      <a
                        href={`${base}/tenants/${tenant.id}${t.path}`}
                        aria-current={t.tab === tenant.tab ? "page" : undefined}
                      >
                        {t.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
            )
            : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A success or failure notice, announced to screen readers. */
export function Notice(props: { kind?: "ok" | "bad"; children?: Child }) {
  return (
    <div class={`notice${props.kind === "bad" ? " bad" : ""}`} role={props.kind === "bad" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** A status word in a coloured badge (the word carries the meaning; colour only repeats it). */
export function Badge(props: { status: string | null | undefined }) {
  const s = props.status ?? "unknown";
  const tone = ["healthy", "succeeded", "enabled", "set", "ok"].includes(s)
    ? "ok"
    : ["degraded", "retrying", "skipped"].includes(s)
    ? "warn"
    : ["unhealthy", "failed", "timed_out", "needs_configuration"].includes(s)
    ? "bad"
    : "off";
  return <span class={`badge ${tone}`}>{s.replace(/_/g, " ")}</span>;
}

/** A table in a keyboard-scrollable region, so wide tables work at phone width. */
export function TableWrap(props: { label: string; children?: Child }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabindex={0}>
      {props.children}
    </div>
  );
}
