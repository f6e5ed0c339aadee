/**
 * createApp(): the whole HTTP surface as one Hono app: webhooks and filters, the admin API under
 * /v1, the dashboard under /admin, /healthz. No runtime-specific code: serve it alone
 * (`export default app`, `Deno.serve(app.fetch)`) or mount it in another Hono app
 * (`parent.route("/cms", app)`). Every refusal, 404 and 405 included, is thrown and answered as
 * problem+json by the one path in ./problem.ts.
 */
import { Hono } from "hono";
import type { HttpDeps } from "./deps.ts";
import { ConfigurationError } from "../errors.ts";
import { openApiRoute } from "./openapi/route.ts";
import { problemFor, refuse } from "./problem.ts";
import { webhookRoutes } from "./webhooks.ts";

/** Builds a router; `basePath` is the full path it answers under (e.g. "/cms/admin"), for its own links. */
export type RouterFactory = (deps: HttpDeps, options: { basePath: string }) => Hono<any>;

export interface AppOptions {
  /**
   * Where the host mounts this app (`parent.route("/cms", app)` → "/cms"; default "", served at
   * the root): the dashboard's links and redirects start with it.
   */
  basePath?: string;
  /** The admin API router (paths relative to /v1); false leaves it out. */
  admin?: RouterFactory | false;
  /** The dashboard router (mounted at /admin); false leaves it out. */
  ui?: RouterFactory | false;
}

export function createApp(deps: HttpDeps, options: AppOptions = {}): Hono {
  const base = mountPath(options.basePath ?? "");
  const app = new Hono();
  const logger = deps.kernel.logger;

  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "cache-control": "no-store" }));
  openApiRoute(app, deps); // GET /v1/openapi.json, no auth
  // Webhooks first: their signature check replaces the admin API's bearer auth on their paths.
  app.route("/v1", webhookRoutes(deps));
  if (options.admin) app.route("/v1", options.admin(deps, { basePath: `${base}/v1` }));
  if (options.ui) app.route("/admin", options.ui(deps, { basePath: `${base}/admin` }));

  // Unmatched paths as a route (not only notFound) so the answer is ours when mounted elsewhere too.
  app.all("*", (c) => {
    const allowed = allowedMethods(app, c.req.path, c.req.routePath);
    if (allowed.length && !allowed.includes(c.req.method)) {
      refuse(405, "method-not-allowed", `${c.req.method} is not allowed here`, {}, { allow: allowed.join(", ") });
    }
    refuse(404, "not-found", "no such resource");
  });
  app.notFound(() => refuse(404, "not-found", "no such resource"));
  // Refusals, kernel errors (by STATUS_BY_CODE) and failures: one mapping for the whole app.
  app.onError((error, c) => problemFor(error, logger, c));
  return app;
}

/** "/cms/" → "/cms"; "" stays ""; anything but an absolute path (no query, no scheme) is refused. */
function mountPath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, "");
  if (trimmed !== "" && !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(trimmed)) {
    throw new ConfigurationError("basePath", `must be a path such as "/cms" (got ${JSON.stringify(basePath)})`);
  }
  return trimmed;
}

/**
 * The methods of the app's routes whose pattern matches `path`; an empty list when none does.
 * The app's own routes include those of mounted routers, with their full paths.
 */
function allowedMethods(app: Hono, path: string, catchAll: string): string[] {
  // Mounted at /cms, the catch-all's route path is "/cms/*" while app.routes are relative to us.
  const prefix = catchAll.replace(/\/?\*$/, "");
  if (prefix && path.startsWith(prefix)) path = path.slice(prefix.length) || "/";
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || route.path.endsWith("*")) continue;
    if (patternOf(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

const patterns = new Map<string, RegExp>();

function patternOf(routePath: string): RegExp {
  let re = patterns.get(routePath);
  if (!re) {
    const source = routePath.split("/").map((part) => {
      if (part.startsWith(":")) {
        const custom = /\{(.+)\}$/.exec(part);
        return custom ? `(?:${custom[1]})` : "[^/]+";
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("/");
    re = new RegExp(`^${source}/?$`);
    patterns.set(routePath, re);
  }
  return re;
}
