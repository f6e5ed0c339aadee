/**
 * `dvp token`: an HS256 admin token signed with the DVP_ADMIN_JWT_SECRET the dev servers run with
 * (the environment's, else the one in the `.dev.vars` that `npm start` and `deno task dev`
 * generate; with `--vars`, that file's alone), for the admin API or the dashboard's sign-in: every tenant, or only some (to see
 * what a tenant-scoped operator sees). Issuer and audience follow the same rule, else the
 * kernel's defaults. Development only: in production the tokens come from your identity provider
 * or your own signer.
 */
import { signAdminToken } from "../http/auth.ts";
import { isUuid } from "../context.ts";
import { allowOnly, type ParsedArgs, stringFlag, UsageError } from "./args.ts";
import { type CliIo, join } from "./io.ts";

export const TOKEN_USAGE =
  "dvp token [--tenants '*'|<id>,<id>…] [--subject name] [--hours n] [--vars path/to/.dev.vars]";

export async function tokenCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  if (args.positionals.length) throw new UsageError(`usage: ${TOKEN_USAGE}`);
  allowOnly(args, ["tenants", "subject", "hours", "vars"]);
  const given = stringFlag(args, "vars");
  const path = given ?? join(io.cwd(), ".dev.vars");
  // The environment counts for the dev servers' file only: a file named with --vars (another
  // deployment's settings, docs/deploy.md) is meant as it is.
  const env = given === undefined ? io.env?.() ?? {} : {};
  let text = "";
  try {
    text = await io.readText(path);
  } catch {
    // Without a .dev.vars the environment's secret is enough, as for the dev commands.
    if (!env.DVP_ADMIN_JWT_SECRET) {
      throw new UsageError(
        `cannot read ${path}: run npm start (or deno task dev) once to generate it, pass --vars, or set DVP_ADMIN_JWT_SECRET`,
      );
    }
  }
  // The dev servers run with the environment's DVP_ settings over .dev.vars: the token is signed so too.
  const vars = devSettings(readDevVars(text), env);
  const secret = vars.DVP_ADMIN_JWT_SECRET;
  if (!secret) throw new UsageError(`${path} sets no DVP_ADMIN_JWT_SECRET, nor does the environment`);

  const list = stringFlag(args, "tenants") ?? "*";
  let tenants: "*" | string[] = "*";
  if (list !== "*") {
    tenants = list.split(",").map((id) => id.trim().toLowerCase()).filter((id) => id !== "");
    const bad = tenants.find((id) => !isUuid(id));
    if (tenants.length === 0 || bad !== undefined) {
      throw new UsageError(`--tenants takes '*' or tenant ids (UUIDs) separated by commas${bad ? `: ${bad}` : ""}`);
    }
  }
  const hoursText = stringFlag(args, "hours") ?? "24";
  const hours = Number(hoursText);
  if (!/^\d+$/.test(hoursText) || hours < 1 || hours > 24 * 30) {
    throw new UsageError("--hours takes a whole number of hours from 1 to 720");
  }
  io.out(
    await signAdminToken(secret, {
      tenants,
      subject: stringFlag(args, "subject") ?? "dev-admin",
      ...(vars.DVP_ADMIN_JWT_ISSUER ? { issuer: vars.DVP_ADMIN_JWT_ISSUER } : {}),
      ...(vars.DVP_ADMIN_JWT_AUDIENCE ? { audience: vars.DVP_ADMIN_JWT_AUDIENCE } : {}),
      expiresInSeconds: hours * 3600,
    }),
  );
  return 0;
}

// dotenv 16's line rule, as bundled in wrangler 4 (its parse of `.dev.vars`).
const DOTENV_LINE =
  /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/mg;

/**
 * `.dev.vars` read exactly as `wrangler dev` reads it (dotenv's parse, no expansion): an optional
 * `export `, values in double, single or back quotes (multi-line allowed; `\n` and `\r` become line
 * breaks in double quotes only) or bare, ending at `#`, trimmed. The same code as `parseVars` in
 * scripts/dev-kit.mjs (the dev servers); test/node/dev-env-file.test.ts checks both against
 * wrangler's bundled dotenv.
 */
export function readDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const match of text.replace(/\r\n?/g, "\n").matchAll(DOTENV_LINE)) {
    const raw = (match[2] ?? "").trim();
    let value = raw.replace(/^(['"`])([\s\S]*)\1$/mg, "$2");
    if (raw[0] === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    vars[match[1]!] = value;
  }
  return vars;
}

/**
 * The dev commands' rule (devSettings in scripts/dev-kit.mjs): a kernel setting (`DVP_…`, not the
 * dev scripts' own `DVP_DEV_…`/`DVP_DEMO_…`) set non-empty in the environment wins over `.dev.vars`.
 */
export function devSettings(
  fileVars: Record<string, string>,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const fromEnv = Object.entries(env).filter((entry): entry is [string, string] =>
    entry[0].startsWith("DVP_") && !/^DVP_(DEV|DEMO)_/.test(entry[0]) && entry[1] !== undefined && entry[1] !== ""
  );
  return { ...fileVars, ...Object.fromEntries(fromEnv) };
}
