/**
 * The kernel's own Worker (`export default createWorker()` in a project of its own), typed against
 * the Env `wrangler types` generates: type-checked here, not served.
 */
import { createWorker } from "@dvp/kernel/cloudflare";
import { EchoPlugin } from "./echo-plugin.ts";

export const standalone = createWorker({ plugins: () => [new EchoPlugin()] }) satisfies ExportedHandler<Env>;
