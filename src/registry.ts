/**
 * PluginRegistry: the plugins this kernel knows, checked once at registration, and the ordered
 * list of plugins per hook that dispatch reads (computed once, not per event).
 */
import { KernelError } from "./errors.ts";
import { detectHooks, FILTER_HOOKS, type FilterHookName, type HookName } from "./hooks.ts";
import type { Plugin, PluginHost } from "./plugin.ts";
import { checkSchema } from "./schema/index.ts";
import { parseVersion, satisfies, validRange } from "./semver.ts";
import { KERNEL_VERSION } from "./version.ts";

export const PLUGIN_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const DEFAULT_PRIORITY = 100;
/** The longest delay setTimeout keeps (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** A time limit a timer can keep: NaN would re-arm at 0 ms forever, and Infinity fire at once. */
export function validTimeoutMs(ms: unknown): ms is number {
  return typeof ms === "number" && ms >= 1 && ms <= MAX_TIMEOUT_MS;
}

export interface RegisteredPlugin {
  readonly name: string;
  readonly plugin: Plugin;
  readonly hooks: ReadonlySet<HookName>;
  /** Registration order, the tie-breaker after priority. */
  readonly order: number;
  priority(hook: FilterHookName): number;
}

export class PluginRegistry {
  readonly #plugins = new Map<string, RegisteredPlugin>();
  readonly #byHook = new Map<HookName, RegisteredPlugin[]>();
  readonly #kernelVersion: string;
  readonly #host: PluginHost | undefined;
  #order = 0;

  /** Without options (as the Python SDK's `PluginRegistry()`): this kernel's version, no host. */
  constructor(options: { kernelVersion?: string; host?: PluginHost } = {}) {
    this.#kernelVersion = options.kernelVersion ?? KERNEL_VERSION;
    this.#host = options.host;
  }

  /**
   * The Python SDK's `registry.enable(name)`, refused with what to write instead. A plugin is
   * enabled per tenant (each tenant's config is validated against the plugin's schema and its
   * secrets checked when it is enabled, and one tenant's choice must not switch it on for another),
   * so the registry, which only knows which plugins exist, has nothing to enable.
   */
  enable(name: string): never {
    throw new KernelError(
      "ERR_VALIDATION",
      `plugin ${name}: plugins are enabled per tenant, not in the registry: write \`await kernel.enable(tenantId, ${
        JSON.stringify(name)
      })\` on a kernel made with \`createKernel({ plugins: [plugin] })\` (or \`kernel.register(plugin)\`)`,
    );
  }

  register(plugin: Plugin): RegisteredPlugin {
    const name = String(plugin?.name);
    const fail = (code: "ERR_PLUGIN_INVALID" | "ERR_PLUGIN_INCOMPATIBLE", problem: string) =>
      new KernelError(code, `plugin ${name}: ${problem}`);
    if (!PLUGIN_NAME.test(name) || name.length > 64) {
      throw fail(
        "ERR_PLUGIN_INVALID",
        "name must be a lowercase slug (a-z, 0-9, single dashes), at most 64 characters",
      );
    }
    if (this.#plugins.has(name)) {
      throw new KernelError("ERR_PLUGIN_DUPLICATE", `plugin ${name}: a plugin with this name is already registered`);
    }
    if (typeof plugin.version !== "string" || !parseVersion(plugin.version)) {
      throw fail(
        "ERR_PLUGIN_INVALID",
        `version ${JSON.stringify(plugin.version)} is not a semantic version (e.g. 1.0.0)`,
      );
    }
    for (
      const [label, schema] of [["CONFIG_SCHEMA", plugin.CONFIG_SCHEMA], [
        "SECRETS_SCHEMA",
        plugin.SECRETS_SCHEMA,
      ]] as const
    ) {
      const errors = checkSchema(schema);
      if (errors.length) {
        throw fail(
          "ERR_PLUGIN_INVALID",
          `${label} is not a valid draft-07 object schema: ${
            errors.map((e) => `${e.path || "/"} ${e.message}`).join("; ")
          }`,
        );
      }
    }
    const secretProps = (plugin.SECRETS_SCHEMA.properties ?? {}) as Record<string, { type?: unknown }>;
    for (const [prop, sub] of Object.entries(secretProps)) {
      if (sub?.type !== "string") {
        throw fail("ERR_PLUGIN_INVALID", `SECRETS_SCHEMA property "${prop}" must be of type string`);
      }
    }
    if (plugin.kernelVersion !== undefined) {
      if (!validRange(plugin.kernelVersion)) {
        throw fail("ERR_PLUGIN_INVALID", `kernelVersion "${plugin.kernelVersion}" is not a semver range`);
      }
      if (!satisfies(this.#kernelVersion, plugin.kernelVersion)) {
        throw fail(
          "ERR_PLUGIN_INCOMPATIBLE",
          `needs kernel ${plugin.kernelVersion}, this kernel is ${this.#kernelVersion}`,
        );
      }
    }
    const timeout = plugin.hookTimeoutMs;
    if (timeout !== undefined && !validTimeoutMs(timeout)) {
      throw fail("ERR_PLUGIN_INVALID", `hookTimeoutMs must be a number of ms from 1 to ${MAX_TIMEOUT_MS}`);
    }
    const { hooks, problems } = detectHooks(plugin);
    if (problems.length) throw fail("ERR_PLUGIN_INVALID", problems.join("; "));

    plugin.attach(this.#host);
    const priorities = plugin.priority;
    const entry: RegisteredPlugin = {
      name,
      plugin,
      hooks: new Set(hooks),
      order: this.#order++,
      priority: (hook) => typeof priorities === "number" ? priorities : (priorities?.[hook] ?? DEFAULT_PRIORITY),
    };
    for (const hook of FILTER_HOOKS) {
      const p = entry.priority(hook);
      if (!Number.isFinite(p)) throw fail("ERR_PLUGIN_INVALID", `priority for ${hook} must be a finite number`);
    }
    this.#plugins.set(name, entry);
    this.#byHook.clear();
    return entry;
  }

  unregister(name: string): boolean {
    const entry = this.#plugins.get(name);
    if (!entry) return false;
    entry.plugin.attach(undefined);
    this.#plugins.delete(name);
    this.#byHook.clear();
    return true;
  }

  get(name: string): RegisteredPlugin | undefined {
    return this.#plugins.get(name);
  }

  /** Like get, but a KernelError("ERR_PLUGIN_NOT_FOUND") when there is none. */
  require(name: string): RegisteredPlugin {
    const entry = this.#plugins.get(name);
    if (!entry) throw new KernelError("ERR_PLUGIN_NOT_FOUND", `plugin ${JSON.stringify(name)} is not registered`);
    return entry;
  }

  has(name: string): boolean {
    return this.#plugins.has(name);
  }

  /** In registration order. */
  list(): RegisteredPlugin[] {
    return [...this.#plugins.values()];
  }

  /**
   * Plugins implementing `hook`: filters in priority order (lower first, then registration
   * order); everything else in registration order. Cached until the next (un)registration.
   */
  implementing(hook: HookName): readonly RegisteredPlugin[] {
    let list = this.#byHook.get(hook);
    if (!list) {
      list = this.list().filter((p) => p.hooks.has(hook));
      if ((FILTER_HOOKS as readonly string[]).includes(hook)) {
        const h = hook as FilterHookName;
        list.sort((a, b) => a.priority(h) - b.priority(h) || a.order - b.order);
      }
      this.#byHook.set(hook, list);
    }
    return list;
  }
}
