/** The same app under Deno, the package read from node_modules: `deno run -A src/deno-server.ts <port>`. */
import { createMemoryDriver } from "@dvp/kernel";
import { createHost } from "./host.ts";

const env = {
  DVP_MASTER_KEYS: Deno.env.get("DVP_MASTER_KEYS"),
  DVP_ADMIN_JWT_SECRET: Deno.env.get("DVP_ADMIN_JWT_SECRET"),
};
const { app } = createHost(env, createMemoryDriver());
Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen: () => console.log("ready") }, app.fetch);
