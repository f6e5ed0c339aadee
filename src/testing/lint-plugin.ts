/**
 * The code half of the guide's Production Checklist, as checks on a plugin instance: metadata,
 * schemas, secrets kept out of the public config, hook signatures, the registry's own checks and
 * kernel compatibility. `dvp check` runs it and adds the file checks (tests, README); a plugin's
 * own test can assert `lintPlugin(new MyPlugin())` is empty.
 */
import { detectHooks, type HookName } from "../hooks.ts";
import type { Plugin } from "../plugin.ts";
import { currentHost } from "./host.ts";
import { PLUGIN_NAME, PluginRegistry } from "../registry.ts";
import { checkSchema, type JsonSchema } from "../schema/index.ts";
import { parseVersion, satisfies, validRange } from "../semver.ts";
import { KERNEL_VERSION } from "../version.ts";

export type LintArea = "metadata" | "schema" | "secrets" | "hooks" | "registry" | "compatibility" | "timeouts";

export interface LintProblem {
  area: LintArea;
  message: string;
}

/** Most parameters each hook method takes (ctx first). More means the signature is not the protocol's. */
const MAX_ARITY: Record<string, number> = {
  contentPublished: 4,
  contentUpdated: 4,
  contentDeleted: 4,
  beforeContentCreate: 3,
  beforeContentUpdate: 3,
  healthStatusChanged: 2,
  registerScheduledTasks: 1,
  executeScheduledTask: 3,
  registerHealthChecks: 1,
  executeHealthCheck: 4,
  dataSeries: 1,
};

const METHODS_OF: Record<HookName, string[]> = {
  contentPublished: ["contentPublished"],
  contentUpdated: ["contentUpdated"],
  contentDeleted: ["contentDeleted"],
  beforeContentCreate: ["beforeContentCreate"],
  beforeContentUpdate: ["beforeContentUpdate"],
  healthStatusChanged: ["healthStatusChanged"],
  scheduledTasks: ["registerScheduledTasks", "executeScheduledTask"],
  healthChecks: ["registerHealthChecks", "executeHealthCheck"],
  dataSeries: ["dataSeries"],
};

/**
 * Whether a config property name looks like a credential. Word-based, so `key_prefix` (an S3
 * object key prefix) and `token_url` (an endpoint) stay public while `api_key`, `access_key_id`,
 * `auth_token` and `deploy_hook_url` do not. A property marked `"x-dvp-public": true` is exempt.
 */
export function looksSecret(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const joined = words.join("");
  if (/(apikey|passwd|password|passphrase|credential|privatekey|clientsecret|serviceaccount)/.test(joined)) return true;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!, next = words[i + 1], prev = words[i - 1];
    if (/^(secret|secrets|pwd|credentials|bearer|cookie|jwt)$/.test(word)) return true;
    if (word === "token" && !(next && /^(url|uri|endpoint|ttl|type)$/.test(next))) return true;
    if (
      word === "key" &&
      (next === undefined || next === "id" || /^(api|access|secret|private|signing|auth|license)$/.test(prev ?? ""))
    ) {
      return true;
    }
    if (word === "hook" && (next === "url" || next === "uri")) return true;
    if (word === "webhook" && (next === "url" || next === "uri")) return true;
  }
  return false;
}

/** Every problem found; empty when the plugin passes. */
export function lintPlugin(plugin: Plugin): LintProblem[] {
  const problems: LintProblem[] = [];
  const add = (area: LintArea, message: string) => problems.push({ area, message });

  const name = plugin?.name;
  if (typeof name !== "string" || !PLUGIN_NAME.test(name) || name.length > 64) {
    add(
      "metadata",
      `name ${JSON.stringify(name)} must be a lowercase slug (a-z, 0-9, single dashes), at most 64 characters`,
    );
  }
  if (typeof plugin.version !== "string" || !parseVersion(plugin.version)) {
    add("metadata", `version ${JSON.stringify(plugin.version)} is not a semantic version (e.g. 1.0.0)`);
  }
  if (!plugin.description?.trim()) add("metadata", "description is empty: say what the plugin does in one sentence");
  if (!plugin.author?.trim()) add("metadata", "author is empty");

  const schemasValid = lintSchemas(plugin, add);

  if (schemasValid) {
    for (const path of secretLookingProperties(plugin.CONFIG_SCHEMA, "")) {
      add(
        "secrets",
        `CONFIG_SCHEMA property ${path} looks like a credential: move it to SECRETS_SCHEMA (config is public)`,
      );
    }
    for (const [prop, sub] of Object.entries(properties(plugin.SECRETS_SCHEMA))) {
      if (sub.type !== "string") add("secrets", `SECRETS_SCHEMA property "${prop}" must be of type string`);
    }
    for (
      const [label, schema] of [["CONFIG_SCHEMA", plugin.CONFIG_SCHEMA], [
        "SECRETS_SCHEMA",
        plugin.SECRETS_SCHEMA,
      ]] as const
    ) {
      for (const [prop, sub] of Object.entries(properties(schema))) {
        if (typeof sub.title !== "string" || !sub.title) {
          add("schema", `${label} property "${prop}" has no title: the admin form uses it as the label`);
        }
      }
    }
  }

  const { hooks, problems: hookProblems } = detectHooks(plugin);
  for (const p of hookProblems) add("hooks", p);
  if (!hooks.length && !hookProblems.length) {
    add(
      "hooks",
      "implements no hook protocol: add contentPublished, beforeContentCreate, registerScheduledTasks/executeScheduledTask, …",
    );
  }
  const target = plugin as unknown as Record<string, unknown>;
  for (const hook of hooks) {
    for (const method of METHODS_OF[hook]) {
      const fn = target[method] as (...args: unknown[]) => unknown;
      const max = MAX_ARITY[method]!;
      if (fn.length > max) {
        add("hooks", `${method} declares ${fn.length} parameters; the protocol passes at most ${max} (ctx first)`);
      }
    }
  }
  for (const near of nearMisses(plugin)) add("hooks", near);

  if (plugin.kernelVersion === undefined) {
    add(
      "compatibility",
      `kernelVersion is not set: declare the kernel range you support, e.g. "^${majorOf(KERNEL_VERSION)}.0.0"`,
    );
  } else if (!validRange(plugin.kernelVersion)) {
    add("compatibility", `kernelVersion "${plugin.kernelVersion}" is not a semver range`);
  } else if (!satisfies(KERNEL_VERSION, plugin.kernelVersion)) {
    add("compatibility", `kernelVersion "${plugin.kernelVersion}" is not satisfied by this kernel (${KERNEL_VERSION})`);
  }

  // The registry's own checks, last: they repeat some of the above, so report them only when
  // nothing more specific was found.
  if (!problems.length) {
    // Registering attaches the plugin to this throwaway registry; put back the kernel it may
    // already belong to, so linting a live plugin (`lintPlugin(t.plugin("x"))`) leaves it working.
    const host = currentHost(plugin);
    try {
      new PluginRegistry({ kernelVersion: KERNEL_VERSION }).register(plugin);
    } catch (error) {
      add("registry", (error as Error).message);
    } finally {
      plugin.attach(undefined);
      plugin.attach(host);
    }
  }
  return problems;
}

function lintSchemas(plugin: Plugin, add: (area: LintArea, message: string) => void): boolean {
  let valid = true;
  for (
    const [label, schema] of [["CONFIG_SCHEMA", plugin.CONFIG_SCHEMA], [
      "SECRETS_SCHEMA",
      plugin.SECRETS_SCHEMA,
    ]] as const
  ) {
    const errors = checkSchema(schema);
    if (errors.length) valid = false;
    for (const e of errors) {
      add("schema", `${label} is not a valid draft-07 object schema: ${e.path || "/"} ${e.message}`);
    }
  }
  return valid;
}

function properties(schema: JsonSchema | undefined): Record<string, Record<string, unknown>> {
  const props = schema?.properties;
  return props && typeof props === "object" ? props as Record<string, Record<string, unknown>> : {};
}

/** JSON pointers of credential-looking properties, nested objects and array items included. */
function secretLookingProperties(schema: JsonSchema, base: string): string[] {
  const out: string[] = [];
  for (const [prop, sub] of Object.entries(properties(schema))) {
    const path = `${base}/${prop}`;
    if (sub["x-dvp-public"] !== true && looksSecret(prop)) out.push(path);
    if (sub && typeof sub === "object") {
      out.push(...secretLookingProperties(sub, path));
      const items = sub.items;
      if (items && typeof items === "object" && !Array.isArray(items)) {
        out.push(...secretLookingProperties(items as JsonSchema, `${path}/items`));
      }
    }
  }
  return out;
}

/** Methods spelled almost like a hook (wrong case, an `on` prefix): the kernel would never call them. */
function nearMisses(plugin: Plugin): string[] {
  const known = new Map(Object.keys(MAX_ARITY).map((m) => [m.toLowerCase(), m]));
  const found: string[] = [];
  const seen = new Set<string>();
  for (
    let proto = Object.getPrototypeOf(plugin);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const method of Object.getOwnPropertyNames(proto)) {
      if (seen.has(method) || method === "constructor") continue;
      seen.add(method);
      const key = method.toLowerCase().replace(/^on/, "").replace(/^handle/, "");
      const hook = known.get(key);
      if (hook && hook !== method) {
        found.push(`method ${method} looks like the hook ${hook}, which the kernel calls instead`);
      }
    }
  }
  return found;
}

function majorOf(version: string): number {
  return parseVersion(version)?.major ?? 1;
}
