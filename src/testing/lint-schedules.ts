/**
 * The schedules a plugin would register, checked before a tenant enables it: task ids namespaced
 * by the plugin, cron expressions and intervals the scheduler accepts, time zones that exist,
 * retries and timeouts in range, health checks well-formed. The plugin is asked in a throwaway
 * kernel for a tenant with a config and secrets made up from its schemas (defaults, and sample
 * values for required fields); when none can be made up the check is skipped (the plugin's own
 * tests cover it with a real config).
 */
import { createKernel } from "../kernel.ts";
import type { Plugin } from "../plugin.ts";
import { normalizeChecks, normalizeTasks } from "../scheduler/definitions.ts";
import { TEST_TENANT_ID } from "./contexts.ts";
import { currentHost } from "./host.ts";
import { sampleConfig } from "./sample-config.ts";
import type { LintProblem } from "./lint-plugin.ts";

const CALL_LIMIT_MS = 5_000;

export async function lintSchedules(plugin: Plugin): Promise<LintProblem[]> {
  const target = plugin as unknown as Record<string, unknown>;
  const tasks = typeof target.registerScheduledTasks === "function";
  const checks = typeof target.registerHealthChecks === "function";
  const config = sampleConfig(plugin.CONFIG_SCHEMA);
  // Enabling needs the required secrets (Kernel.enable): sample values of the secrets' schema.
  const secrets = sampleConfig(plugin.SECRETS_SCHEMA);
  if ((!tasks && !checks) || config === null || secrets === null) return [];

  const host = currentHost(plugin);
  const kernel = createKernel({
    log: { level: "error", sink: () => {} },
    fetch: () => Promise.reject(new TypeError("no network while checking schedules")),
    // The made-up config names hosts like "example": the save-time URL checks would refuse it, and
    // nothing is called here (fetch above refuses), so only the schedules are judged.
    allowInsecureUrls: true,
  });
  plugin.attach(undefined);
  const problems: LintProblem[] = [];
  try {
    try {
      kernel.register(plugin);
    } catch {
      return []; // lintPlugin reports why it cannot be registered
    }
    const { tenant } = await kernel.putTenant(TEST_TENANT_ID, { slug: "lint", plan: "pro" });
    await kernel.setConfig(TEST_TENANT_ID, plugin.name, config);
    if (Object.keys(secrets).length) await kernel.setSecrets(TEST_TENANT_ID, plugin.name, secrets as never);
    await kernel.enable(TEST_TENANT_ID, plugin.name);
    const ctx = kernel.context(tenant);
    const ask = async (method: string, normalize: (defs: unknown) => unknown) => {
      try {
        const defs = await withLimit((target[method] as (c: unknown) => unknown).call(plugin, ctx));
        normalize(defs);
      } catch (error) {
        problems.push({ area: "hooks", message: `${method}: ${(error as Error).message}` });
      }
    };
    if (tasks) await ask("registerScheduledTasks", (defs) => normalizeTasks(plugin.name, defs));
    if (checks) await ask("registerHealthChecks", (defs) => normalizeChecks(plugin.name, defs));
  } finally {
    kernel.unregister(plugin.name);
    plugin.attach(undefined);
    plugin.attach(host);
  }
  return problems;
}

function withLimit<T>(value: T | Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.resolve(value),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not answer within ${CALL_LIMIT_MS / 1000} s`)), CALL_LIMIT_MS);
    }),
  ]).finally(() => timer !== undefined && clearTimeout(timer)) as Promise<T>;
}
