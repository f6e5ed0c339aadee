/** `GET /v1/openapi.json`: the document for this app, as registered and where it is mounted (no auth). */
import type { Hono } from "hono";
import { BoundedMap } from "../../cache/bounded-map.ts";
import type { RegisteredPlugin } from "../../registry.ts";
import { KERNEL_VERSION } from "../../version.ts";
import type { HttpDeps } from "../deps.ts";
import { OPENAPI_PATH, openApiDocument } from "./document.ts";

/** Documents kept per isolate, one per mount prefix (a host mounts the app under one or a few). */
const MAX_PREFIXES = 8;

export function openApiRoute(app: Hono, deps: Pick<HttpDeps, "kernel">): void {
  // The route is unauthenticated: each prefix's document is built once (on its first request) and
  // served as the same text until a plugin is registered or removed, or a route is added.
  // The prefix comes from the request: mounted under a parameter (`/:org`), every caller could
  // name a new one, so only the few most recent documents are kept.
  const built = new BoundedMap<string, { plugins: readonly RegisteredPlugin[]; routeCount: number; body: string }>(
    MAX_PREFIXES,
  );
  app.get(OPENAPI_PATH, (c) => {
    // Under a base path or a parent's prefix the request path is longer than ours by exactly that.
    const prefix = c.req.path.endsWith(OPENAPI_PATH) ? c.req.path.slice(0, -OPENAPI_PATH.length) : "";
    const plugins = deps.kernel.registry.list();
    let cached = built.get(prefix);
    if (
      !cached || cached.routeCount !== app.routes.length || cached.plugins.length !== plugins.length ||
      cached.plugins.some((entry, i) => entry !== plugins[i])
    ) {
      const routes = app.routes.map((r) => ({
        method: r.method,
        path: prefix && r.path.startsWith(`${prefix}/`) ? r.path.slice(prefix.length) : r.path,
      }));
      const document = openApiDocument({ version: KERNEL_VERSION, plugins, routes, prefix });
      cached = { plugins, routeCount: app.routes.length, body: JSON.stringify(document) };
      built.set(prefix, cached);
    }
    return c.body(cached.body, 200, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "access-control-allow-origin": "*",
    });
  });
}
