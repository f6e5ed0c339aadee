/** The Deno entry (`deno task dev` starts it through scripts/deno-dev.ts; Deno Deploy runs it directly). */
import { startDeno } from "./adapters/deno.ts";
import { ConfigurationError } from "./errors.ts";

try {
  const { url } = await startDeno();
  console.log(`dvp-kernel listening on ${url}`);
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`dvp-kernel cannot start: ${error.message}`);
  Deno.exit(1);
}
