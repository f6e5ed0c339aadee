/** The consumer's app: its own routes, and the kernel's app mounted at /cms. */
import { Hono } from "hono";
import type { Runtime } from "@dvp/kernel/runtime";
import { seen } from "./echo-plugin.ts";

export function createHost(dvp: Runtime): Hono {
  const app = new Hono();
  app.get("/", (c) => c.text("my site"));
  app.get("/seen", (c) => c.json(seen));
  app.route("/cms", dvp.app);
  return app;
}
