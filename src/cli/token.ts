/**
 * `dvp token`: an HS256 admin token signed with the DVP_ADMIN_JWT_SECRET of a `.dev.vars` file
 * (the one `npm start` and `deno task dev` generate), for the admin API or the dashboard's
 * sign-in: every tenant, or only some (to see what a tenant-scoped operator sees). Issuer and
 * audience are the file's, or the kernel's defaults. Development only: in production the tokens
 * come from your identity provider or your own signer.
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
  const path = stringFlag(args, "vars") ?? join(io.cwd(), ".dev.vars");
  let text: string;
  try {
    text = await io.readText(path);
  } catch {
    throw new UsageError(`cannot read ${path}: run npm start (or deno task dev) once to generate it, or pass --vars`);
  }
  const vars = readDevVars(text);
  const secret = vars.DVP_ADMIN_JWT_SECRET;
  if (!secret) throw new UsageError(`${path} sets no DVP_ADMIN_JWT_SECRET`);

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

/**
 * KEY=VALUE lines as wrangler reads `.dev.vars` (dotenv): an optional `export `, values in double,
 * single or back quotes or bare; a bare value ends at ` #` (a comment) and is trimmed.
 */
export function readDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const raw = m[2]!;
    const quoted = /^(["'`])(.*)\1\s*(?:#.*)?$/.exec(raw);
    vars[m[1]!] = quoted ? quoted[2]! : raw.replace(/\s+#.*$/, "").trim();
  }
  return vars;
}
