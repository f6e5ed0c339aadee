/**
 * The Deno entry (`deno task dev` starts the adapter through scripts/deno-dev.ts; Deno Deploy runs
 * this file directly). The tick is registered first, at the top level and before any await:
 * Deno Deploy learns a project's crons by evaluating this module's top-level code.
 */
import { registerDenoTick, startDeno } from "./adapters/deno.ts";
import { ConfigurationError } from "./errors.ts";

const cron = registerDenoTick();

try {
  const { url } = await startDeno({ cron });
  console.log(`dvp-kernel listening on ${url}`);
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`dvp-kernel cannot start: ${error.message}`);
  Deno.exit(1);
}
