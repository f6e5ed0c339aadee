/**
 * The `dvp` command (run under Deno by bin/dvp.mjs, since Node 20 cannot import TypeScript):
 *   dvp new-plugin <name> [--hooks …]   scaffold a plugin and its tests
 *   dvp check [name]                    the production checklist
 *   dvp webhook send --url … …          a signed test webhook
 *   dvp token [--tenants …]             a dev admin token from .dev.vars
 */
import { parseArgs, UsageError } from "./args.ts";
import { check, CHECK_USAGE } from "./check.ts";
import { deno, denoIo } from "./deno-io.ts";
import type { CliIo } from "./io.ts";
import { NEW_PLUGIN_USAGE, newPlugin } from "./new-plugin.ts";
import { RegisterError } from "./register.ts";
import { TOKEN_USAGE, tokenCommand } from "./token.ts";
import { WEBHOOK_USAGE, webhookCommand } from "./webhook.ts";

/** The guide ships with the package, so the path holds in this repository and in an installed one. */
const GUIDE =
  "Guide: docs/plugin-guide.md (node_modules/@dvp/kernel/docs/plugin-guide.md where the package is installed)";

const HELP = `dvp — the DVP kernel's plugin toolkit

  ${NEW_PLUGIN_USAGE}
  ${CHECK_USAGE}
  ${WEBHOOK_USAGE}
  ${TOKEN_USAGE}

${GUIDE}`;

/** Runs one command; resolves to the exit code. Usage problems print a message and exit 2. */
const USAGE: Record<string, string> = {
  "new-plugin": NEW_PLUGIN_USAGE,
  check: CHECK_USAGE,
  webhook: WEBHOOK_USAGE,
  token: TOKEN_USAGE,
};

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && Object.hasOwn(USAGE, command) && rest.some((a) => a === "--help" || a === "-h")) {
    io.out(`${USAGE[command]}\n\n${GUIDE}`);
    return 0;
  }
  try {
    switch (command) {
      case "new-plugin":
        return await newPlugin(parseArgs(rest), io);
      case "check":
        return await check(parseArgs(rest), io);
      case "webhook":
        return await webhookCommand(parseArgs(rest, ["filter"]), io);
      case "token":
        return await tokenCommand(parseArgs(rest), io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof RegisterError) {
      io.err(`dvp ${command ?? ""}: ${error.message}`.replace("dvp  ", "dvp "));
      return 2;
    }
    throw error;
  }
}

if ((import.meta as { main?: boolean }).main) {
  const d = deno();
  const code = await run(d.args, denoIo());
  d.exit(code);
}
