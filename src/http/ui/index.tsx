/**
 * The admin dashboard: server-rendered pages (hono/jsx) over the same kernel, scheduler and admin
 * auth as the API. Mounted by createApp at /admin. Web APIs only, so it runs wherever the app
 * runs (workerd, Deno, Node).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AuthError } from "../auth.ts";
import type { HttpDeps } from "../deps.ts";
import type { KernelErrorCode } from "../../errors.ts";
import { statusOf } from "../problem.ts";
import { APP_JS } from "./assets.ts";
import { PageError, type Ui, type UiEnv } from "./context.ts";
import { ErrorPage } from "./routes/error-page.tsx";
import { revocationsFor } from "../revocations.ts";
import { registerAuthRoutes, registerLogoutRoute } from "./routes/auth.tsx";
import { registerDataRoutes } from "./routes/data.tsx";
import { registerHealthRoutes } from "./routes/health.tsx";
import { registerHistoryRoutes } from "./routes/history.tsx";
import { registerPluginRoutes } from "./routes/plugins.tsx";
import { registerTaskRoutes } from "./routes/tasks.tsx";
import { registerTenantRoutes } from "./routes/tenants.tsx";
import { securityHeaders } from "./security.ts";
import {
  clearCookieHeader,
  csrfTokenFor,
  readCookie,
  safeEqual,
  sameOrigin,
  SESSION_COOKIE,
  sessionSeconds,
  tokenExpired,
} from "./session.ts";

export interface AdminUiOptions {
  /** Where the returned app is mounted (default "/admin"); links and redirects start with it. */
  basePath?: string;
  /** Largest form body accepted, in bytes (default 256 KiB). */
  formLimitBytes?: number;
}

export function adminUi(deps: HttpDeps, options: AdminUiOptions = {}): Hono<UiEnv> {
  const ui: Ui = {
    deps,
    base: (options.basePath ?? "/admin").replace(/\/+$/, ""),
    revocations: revocationsFor(deps.kernel.driver, deps.kernel.now),
  };
  const app = new Hono<UiEnv>();

  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(await securityHeaders())) c.res.headers.set(name, value);
  });
  app.use(
    "*",
    bodyLimit({
      maxSize: options.formLimitBytes ?? 256 * 1024,
      onError: () => {
        throw new PageError(413, "The form was too large.");
      },
    }),
  );

  app.get("/assets/app.js", (c) =>
    c.body(APP_JS, 200, {
      "content-type": "text/javascript; charset=utf-8",
    }));

  registerAuthRoutes(app, ui);

  // Everything below needs a valid session; every POST below needs the session's CSRF token.
  app.use("*", async (c, next) => {
    const token = readCookie(c.req.header("cookie"), SESSION_COOKIE);
    const toLogin = (reason?: string) => {
      const next = c.req.method === "GET" ? `&next=${encodeURIComponent(c.req.path + querySuffix(c.req.url))}` : "";
      return c.redirect(`${ui.base}/login?${reason ? `reason=${reason}` : "reason=signin"}${next}`, 303);
    };
    if (!token) return toLogin();
    const ended = (reason: "expired" | "invalid" | "signedout") => {
      const res = toLogin(reason);
      res.headers.append("set-cookie", clearCookieHeader(SESSION_COOKIE));
      return res;
    };
    try {
      c.set("principal", await deps.auth.verify(token));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return ended(tokenExpired(token, deps.kernel.now()) ? "expired" : "invalid");
    }
    // The verifier allows some clock skew past `exp`; the session does not outlive the token.
    if (sessionSeconds(token, deps.kernel.now()) <= 0) return ended("expired");
    if (await ui.revocations.isRevoked(token)) return ended("signedout");
    c.set("session", token);
    c.set("csrf", await csrfTokenFor(token));
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const form = await c.req.formData().catch(() => null);
      const sent = form?.get("csrf");
      if (!sameOrigin(c.req.raw) || typeof sent !== "string" || !safeEqual(sent, c.get("csrf"))) {
        throw new PageError(
          403,
          "This form could not be accepted (its security token is missing or stale, or it came from another site). Reload the page and try again.",
        );
      }
    }
    await next();
  });

  registerLogoutRoute(app, ui);
  app.get("/", (c) => c.redirect(`${ui.base}/tenants`, 303));
  registerTenantRoutes(app, ui);
  registerPluginRoutes(app, ui);
  registerTaskRoutes(app, ui);
  registerHealthRoutes(app, ui);
  registerDataRoutes(app, ui);
  registerHistoryRoutes(app, ui);
  app.all("*", () => {
    throw new PageError(404, "There is no such page.");
  });

  // The dashboard's one refusal path: anything thrown (a PageError, a KernelError) becomes its page.
  app.onError((error, c) => {
    const { status, message } = describeError(error);
    if (status >= 500) deps.kernel.logger.error("dashboard request failed", { path: c.req.path, error: message });
    return c.html(
      <ErrorPage ui={ui} c={c as never} status={status} message={status >= 500 ? "Something went wrong." : message} />,
      status as 400,
    );
  });
  return app;
}

/** Where a code's message is not written for a person using the dashboard, the page says this. */
const PAGE_MESSAGE: Partial<Record<KernelErrorCode, string>> = {
  ERR_TENANT_INVALID: "There is no tenant with this id.",
  ERR_CONFLICT: "The tenant changed while this was being saved. Please try again.",
  ERR_TOO_LARGE: "That is larger than the store keeps (Deno KV: 64 KiB per value).",
};

/** A thrown error's page: its status from the API's table (STATUS_BY_CODE), so both answer alike. */
function describeError(error: unknown): { status: number; message: string } {
  if (error instanceof PageError) return { status: error.status, message: error.message };
  const code = (error as { code?: KernelErrorCode } | null)?.code;
  const message = (code && PAGE_MESSAGE[code]) ?? (error instanceof Error ? error.message : String(error));
  return { status: statusOf(error), message };
}

function querySuffix(url: string): string {
  const q = new URL(url).search;
  return q.length > 1 ? q : "";
}
