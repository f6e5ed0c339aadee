/** The consumer's app: its own routes, the kernel mounted at /cms with the consumer's plugin. */
import { Hono } from "hono";
import { createRuntime, type KVDriver, type Runtime } from "@dvp/kernel";
import { EchoPlugin, seen } from "./echo-plugin.ts";

export function createHost(env: object, driver: KVDriver): { app: Hono; dvp: Runtime } {
  const dvp = createRuntime({ env, driver, plugins: [new EchoPlugin()], app: { basePath: "/cms" } });
  const app = new Hono();
  app.get("/", (c) => c.text("my site"));
  app.get("/seen", (c) => c.json(seen));
  app.route("/cms", dvp.app);
  return { app, dvp };
}
