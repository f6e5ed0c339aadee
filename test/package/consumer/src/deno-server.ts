/** The same app under Deno, the package read from node_modules: `deno run -A src/deno-server.ts <port>`. */
import { createMemoryDriver } from "@dvp/kernel/drivers";
import { createRuntime } from "@dvp/kernel/runtime";
import { EchoPlugin } from "./echo-plugin.ts";
import { createHost } from "./host.ts";

const dvp = createRuntime({
  env: Deno.env.toObject(),
  driver: createMemoryDriver(),
  plugins: [new EchoPlugin()],
  basePath: "/cms",
});
Deno.serve(
  { port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen: () => console.log("ready") },
  createHost(dvp).fetch,
);
