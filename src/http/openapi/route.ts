/** `GET /v1/openapi.json`: the document for this app, as registered and where it is mounted (no auth). */
import type { Hono } from "hono";
import { KERNEL_VERSION } from "../../version.ts";
import type { HttpDeps } from "../deps.ts";
import { OPENAPI_PATH, openApiDocument } from "./document.ts";

export function openApiRoute(app: Hono, deps: Pick<HttpDeps, "kernel">): void {
  app.get(OPENAPI_PATH, (c) => {
    // Under a base path or a parent's prefix the request path is longer than ours by exactly that.
    const prefix = c.req.path.endsWith(OPENAPI_PATH) ? c.req.path.slice(0, -OPENAPI_PATH.length) : "";
    const routes = app.routes.map((r) => ({
      method: r.method,
      path: prefix && r.path.startsWith(`${prefix}/`) ? r.path.slice(prefix.length) : r.path,
    }));
    const document = openApiDocument({ version: KERNEL_VERSION, plugins: deps.kernel.registry.list(), routes, prefix });
    return c.json(document, 200, { "cache-control": "no-store", "access-control-allow-origin": "*" });
  });
}
