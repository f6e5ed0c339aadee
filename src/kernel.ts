/**
 * createKernel(): wires the registry, the tenant store, secret encryption, execution history
 * and dispatch. Runtime-agnostic: storage comes in as a driver, time as a clock, I/O as fetch.
 */
import {
  createHookContext,
  deepFreeze,
  type HookContext,
  type HookContextInit,
  isUuid,
  TENANT_PLANS,
  type TenantPlan,
} from "./context.ts";
import { type MasterKeyring, parseMasterKeys } from "./crypto/master-keys.ts";
import { bytesToBase64 } from "./crypto/base64.ts";
import { SecretBox } from "./crypto/secret-box.ts";
import { type HookOutcome, runActionHook, runFilterHook } from "./dispatch.ts";
import {
  ConfigurationError,
  type FieldError,
  KernelError,
  MissingSecretsError,
  PluginConfigError,
  ValidationError,
} from "./errors.ts";
import type { ActionHookArgs, ActionHookName, Content, FilterHookName, HookName, Metadata } from "./hooks.ts";
import { getLogger, LogConfig, type Logger, type LogLevel, type LogSink } from "./logger.ts";
import type { Plugin, PluginHost } from "./plugin.ts";
import { MAX_TIMEOUT_MS, PluginRegistry, type RegisteredPlugin, validTimeoutMs } from "./registry.ts";
import { type JsonSchema, validate } from "./schema/index.ts";
import { Secrets } from "./secrets.ts";
import type { KVDriver } from "./store/driver.ts";
import { ExecutionHistory } from "./store/history.ts";
import { refusedUrls } from "./net/saved-urls.ts";
import { createMemoryDriver } from "./backends/memory.ts";
import { createPluginStorage, type PluginStorage } from "./store/plugin-storage.ts";
import { type PluginState, type TenantRecord, TenantStore } from "./store/tenants.ts";
import { KERNEL_VERSION } from "./version.ts";

export interface KernelOptions {
  /** Storage; default a fresh memory driver. */
  driver?: KVDriver;
  /** `DVP_MASTER_KEYS` text or a parsed keyring. Required unless the driver is memory (then an ephemeral key). */
  masterKeys?: string | MasterKeyring;
  plugins?: Plugin[];
  /** The clock (ms since the epoch); tests pass a fake one. */
  now?: () => number;
  /** Outbound fetch for plugins; default the global fetch. */
  fetch?: typeof fetch;
  log?: LogConfig | { level?: LogLevel; sink?: LogSink };
  /** Default per-plugin time limit for action and filter hooks (ms, default 10,000). */
  hookTimeoutMs?: number;
  /** How long a tenant stays cached in this isolate (ms, default 30,000). */
  tenantCacheTtlMs?: number;
  /** Days the execution history is kept (default 30). */
  historyRetentionDays?: number;
  /**
   * `DVP_ALLOW_INSECURE_URLS`: saved URLs may be http and local (development against fakes). Off,
   * a saved URL must pass the guard plugins apply at call time (https, public host).
   */
  allowInsecureUrls?: boolean;
}

export interface TenantInput {
  slug: string;
  plan: TenantPlan;
  /** Webhook signing secrets (`whsec_…`); one is generated on create when none is given. */
  webhookSecrets?: string[];
}

export interface DispatchResult {
  ctx: HookContext;
  outcomes: HookOutcome[];
}

/** Called after a tenant's plugin is enabled, disabled or reconfigured (the scheduler listens). */
export type PluginStateListener = (tenantId: string, plugin: string) => void | Promise<void>;

/** A tenant's stored config for a plugin, checked against the plugin's CONFIG_SCHEMA as it is now. */
export interface ConfigCheck {
  readonly valid: boolean;
  /** The stored config with defaults applied (the schema's defaults when none is stored). */
  readonly value: Readonly<Record<string, unknown>>;
  /** What is wrong, by field (none when valid). */
  readonly errors: readonly FieldError[];
}

/** A hook's time limit when neither the plugin nor the kernel's options set one (ms). */
export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** Sealing scope of webhook secrets: the `@` keeps it apart from every plugin name. */
const WEBHOOK_SECRET_SCOPE = "@webhook";
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class Kernel implements PluginHost {
  readonly version = KERNEL_VERSION;
  readonly driver: KVDriver;
  readonly registry: PluginRegistry;
  readonly tenants: TenantStore;
  readonly history: ExecutionHistory;
  readonly secretBox: SecretBox;
  readonly log: LogConfig;
  readonly logger: Logger;
  readonly fetch: typeof fetch;
  readonly hookTimeoutMs: number;
  readonly now: () => number;
  readonly #listeners: PluginStateListener[] = [];
  readonly #pluginLoggers = new Map<string, Logger>();
  /**
   * Keyed on a tenant record's frozen config object (it lives as long as the record, and is that
   * tenant's alone), or on the plugin's schema when none is stored.
   */
  readonly #configChecks = new WeakMap<object, { schema: JsonSchema; check: ConfigCheck }>();

  readonly #urlGuard: { allowInsecure: boolean };

  constructor(options: KernelOptions = {}) {
    this.now = options.now ?? Date.now;
    this.#urlGuard = { allowInsecure: options.allowInsecureUrls === true };
    this.driver = options.driver ?? createMemoryDriver({ now: this.now });
    this.log = options.log instanceof LogConfig ? options.log : new LogConfig(options.log);
    this.logger = getLogger("dvp.kernel", this.log);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.fetch = (input, init) => fetchImpl(input, init); // unbound global fetch throws in workerd
    this.hookTimeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    if (!validTimeoutMs(this.hookTimeoutMs)) {
      throw new ConfigurationError("hookTimeoutMs", `must be a number of ms from 1 to ${MAX_TIMEOUT_MS}`);
    }
    let ring = options.masterKeys;
    if (ring === undefined) {
      if (this.driver.name !== "memory") {
        throw new ConfigurationError("DVP_MASTER_KEYS", "is required with a persistent driver");
      }
      ring = `ephemeral:${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
    }
    this.secretBox = new SecretBox(typeof ring === "string" ? parseMasterKeys(ring) : ring);
    this.tenants = new TenantStore(this.driver, { now: this.now, ttlMs: options.tenantCacheTtlMs });
    this.history = new ExecutionHistory(this.driver, {
      now: this.now,
      retentionDays: options.historyRetentionDays,
      scrub: (text, tenantId) => this.log.scrub(text, tenantId),
    });
    this.registry = new PluginRegistry({ kernelVersion: KERNEL_VERSION, host: this });
    for (const plugin of options.plugins ?? []) this.register(plugin);
  }

  // ── plugins ────────────────────────────────────────────────────────────────────────────────

  register(plugin: Plugin): RegisteredPlugin {
    return this.registry.register(plugin);
  }

  unregister(name: string): boolean {
    return this.registry.unregister(name);
  }

  // ── tenants ────────────────────────────────────────────────────────────────────────────────

  /** The tenant, or a KernelError("ERR_TENANT_NOT_FOUND"). Cached: see TenantStore. */
  async requireTenant(tenantId: string): Promise<Readonly<TenantRecord>> {
    const tenant = isUuid(tenantId) ? await this.tenants.get(tenantId.toLowerCase()) : null;
    if (!tenant) throw new KernelError("ERR_TENANT_NOT_FOUND", `tenant ${tenantId} does not exist`);
    return tenant;
  }

  getTenant(tenantId: string): Promise<Readonly<TenantRecord> | null> {
    return isUuid(tenantId) ? this.tenants.get(tenantId.toLowerCase()) : Promise.resolve(null);
  }

  /**
   * Create or update a tenant. On create without webhook secrets one is generated and returned
   * once as `generatedSecret`; stored secrets are sealed like plugin secrets.
   */
  async putTenant(
    tenantId: string,
    input: TenantInput,
  ): Promise<{ tenant: Readonly<TenantRecord>; created: boolean; generatedSecret?: string }> {
    const errors = [];
    if (!isUuid(tenantId)) errors.push({ path: "/id", message: "must be a UUID" });
    if (typeof input?.slug !== "string" || !SLUG.test(input.slug)) {
      errors.push({ path: "/slug", message: "must be a lowercase slug (a-z, 0-9, dashes), 1-63 characters" });
    }
    if (!TENANT_PLANS.includes(input?.plan)) {
      errors.push({ path: "/plan", message: `must be one of ${TENANT_PLANS.join(", ")}` });
    }
    const given = input?.webhookSecrets;
    if (given !== undefined) {
      if (!Array.isArray(given) || given.length === 0 || given.length > 10) {
        // Empty is refused rather than read as "keep": a tenant without a secret takes no webhook.
        errors.push({ path: "/webhook_secrets", message: "must be a list of 1 to 10 secrets (omit it to keep them)" });
      } else {given.forEach((s, i) => {
          if (typeof s !== "string" || !isWebhookSecret(s)) {
            errors.push({
              path: `/webhook_secrets/${i}`,
              message: "must be whsec_ followed by base64 of 24 to 64 bytes",
            });
          }
        });}
    }
    if (errors.length) throw new ValidationError("invalid tenant", errors);
    const id = tenantId.toLowerCase();
    let created = false;
    let generatedSecret: string | undefined;
    const nowIso = new Date(this.now()).toISOString();
    const seal = (secrets: string[]) =>
      Promise.all(secrets.map((s) => this.secretBox.encrypt(id, WEBHOOK_SECRET_SCOPE, s)));
    const tenant = await this.tenants.update(id, async (current) => {
      // Per attempt: an update that lost a race runs again on the record another isolate wrote.
      created = current === null;
      generatedSecret = undefined;
      let webhookSecrets = current?.webhookSecrets ?? [];
      if (given !== undefined) webhookSecrets = await seal(given);
      else if (created) {
        generatedSecret = generateWebhookSecret();
        webhookSecrets = await seal([generatedSecret]);
      }
      return {
        id,
        slug: input.slug,
        plan: input.plan,
        webhookSecrets,
        plugins: current?.plugins ?? {},
        createdAt: current?.createdAt ?? nowIso,
        updatedAt: nowIso,
      };
    });
    return { tenant: tenant!, created, ...(generatedSecret ? { generatedSecret } : {}) };
  }

  async deleteTenant(tenantId: string): Promise<void> {
    const tenant = await this.requireTenant(tenantId);
    await this.tenants.delete(tenant.id);
    // Its plugins are disabled with it: the scheduler removes their jobs now, not on a later look
    // (which cannot tell a deleted tenant from one its store does not show yet).
    for (const plugin of Object.keys(tenant.plugins)) {
      for (const listener of this.#listeners) await listener(tenant.id, plugin);
    }
  }

  /** The tenant's webhook signing secrets in plaintext (`whsec_…`), for signature checks. */
  async webhookSecrets(tenant: Readonly<TenantRecord>): Promise<string[]> {
    const secrets = await Promise.all(
      tenant.webhookSecrets.map((s) => this.secretBox.decrypt(tenant.id, WEBHOOK_SECRET_SCOPE, s)),
    );
    for (const secret of secrets) this.log.addSecretValue(secret, tenant.id);
    return secrets;
  }

  // ── per-tenant plugin state ────────────────────────────────────────────────────────────────

  /**
   * Enable a plugin for a tenant. Its config must be valid (an absent config gets the schema's
   * defaults) and the secrets its SECRETS_SCHEMA requires must be set: otherwise every hook would
   * fail for want of them, and be retried, until someone noticed.
   */
  async enable(tenantId: string, plugin: string): Promise<void> {
    const entry = this.registry.require(plugin);
    const requiredSecrets = requiredNames(entry.plugin.SECRETS_SCHEMA);
    await this.#updatePlugin(tenantId, plugin, (state) => {
      const checked = validate(entry.plugin.CONFIG_SCHEMA, state.config ?? {});
      if (!checked.valid) {
        throw new ValidationError(`plugin ${plugin} cannot be enabled until its config is valid`, checked.errors);
      }
      const missing = requiredSecrets.filter((name) => !state.secretNames.includes(name));
      if (missing.length) throw new MissingSecretsError(plugin, missing);
      return { ...state, enabled: true, config: checked.value };
    });
  }

  /** Disable a plugin for a tenant; its config and secrets are kept. */
  async disable(tenantId: string, plugin: string): Promise<void> {
    this.registry.require(plugin);
    await this.#updatePlugin(tenantId, plugin, (state) => ({ ...state, enabled: false }));
  }

  async isEnabled(tenantId: string, plugin: string): Promise<boolean> {
    return (await this.requireTenant(tenantId)).plugins[plugin]?.enabled === true;
  }

  /** Validate against CONFIG_SCHEMA, apply defaults, store. Invalid config throws ValidationError and stores nothing. */
  async setConfig(tenantId: string, plugin: string, config: unknown): Promise<Record<string, unknown>> {
    const entry = this.registry.require(plugin);
    const checked = validate(entry.plugin.CONFIG_SCHEMA, config);
    const errors = checked.valid ? refusedUrls(entry.plugin, "config", checked.value, this.#urlGuard) : checked.errors;
    if (errors.length) throw new ValidationError(`invalid config for plugin ${plugin}`, errors);
    await this.#updatePlugin(tenantId, plugin, (state) => ({ ...state, config: checked.value }));
    return checked.value;
  }

  /**
   * The config a plugin runs with: the stored one (or none) with defaults applied, validated
   * against CONFIG_SCHEMA as it is now. A plugin upgrade may add a required field to configs
   * stored before it: then this throws PluginConfigError naming the fields, and the hook fails
   * with it (recorded in the history) instead of running on a config that lacks them.
   */
  async getConfig(tenantId: string, plugin: string): Promise<Record<string, unknown>> {
    const check = this.configCheck(await this.requireTenant(tenantId), plugin);
    if (!check.valid) throw new PluginConfigError(plugin, [...check.errors]);
    return structuredClone(check.value);
  }

  /** The stored config with defaults applied, valid or not: what the admin API and the dashboard show and edit. */
  async storedConfig(tenantId: string, plugin: string): Promise<Record<string, unknown>> {
    return structuredClone(this.configCheck(await this.requireTenant(tenantId), plugin).value);
  }

  /**
   * The tenant's stored config for `plugin` checked against the plugin's CONFIG_SCHEMA now
   * (frozen). Cached on the stored config object itself, which tenant records hold deep-frozen
   * (store/tenants.ts): a hot hook does not validate on every call, a changed config is a new
   * object, one tenant's result never answers for another's config, and an entry made under
   * another schema (a plugin upgrade) is not used.
   */
  configCheck(tenant: Readonly<TenantRecord>, plugin: string): ConfigCheck {
    const schema = this.registry.require(plugin).plugin.CONFIG_SCHEMA;
    const stored = tenant.plugins[plugin]?.config;
    // No config stored: the check of the schema's defaults, the same for every tenant, keyed on the schema.
    const key: object = stored ?? schema;
    // A config that is not frozen could change under its entry: it is checked each time.
    const cacheable = key === schema || Object.isFrozen(key);
    const cached = cacheable ? this.#configChecks.get(key) : undefined;
    if (cached?.schema === schema) return cached.check;
    const { valid, value, errors } = validate(schema, stored ?? {});
    const check: ConfigCheck = deepFreeze({ valid, value, errors });
    if (cacheable) this.#configChecks.set(key, { schema, check });
    return check;
  }

  /**
   * Set, replace or clear secrets: each given name is set to its string, or cleared with null;
   * names not given are kept. The result must satisfy SECRETS_SCHEMA. Returns the names now set.
   */
  async setSecrets(tenantId: string, plugin: string, changes: Record<string, string | null>): Promise<string[]> {
    const entry = this.registry.require(plugin);
    if (!changes || typeof changes !== "object" || Array.isArray(changes)) {
      throw new ValidationError(`invalid secrets for plugin ${plugin}`, [{
        path: "",
        message: "must be an object of names to strings or null",
      }]);
    }
    const id = tenantId.toLowerCase();
    let names: string[] = [];
    await this.#updatePlugin(id, plugin, async (state) => {
      let current: Record<string, string> = {};
      if (state.secrets) {
        try {
          current = JSON.parse(await this.secretBox.decrypt(id, plugin, state.secrets)) as Record<string, string>;
        } catch (error) {
          // Sealed under a removed key (or damaged): a request that sets or clears every stored name
          // replaces them all and needs nothing from the old envelope; anything else must not guess.
          if (!state.secretNames.every((name) => Object.hasOwn(changes, name))) throw error;
        }
      }
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) delete current[name];
        else current[name] = value;
      }
      const checked = validate(entry.plugin.SECRETS_SCHEMA, current);
      const errors = checked.valid ? refusedUrls(entry.plugin, "secrets", current, this.#urlGuard) : checked.errors;
      if (errors.length) {
        // Messages from the validator can quote the offending value: every value is cut out of them.
        const values = Object.values(current).map(String);
        throw new ValidationError(
          `invalid secrets for plugin ${plugin}`,
          errors.map((e) => ({ path: e.path, message: safeSecretMessage(e.message, values) })),
        );
      }
      names = Object.keys(current).sort();
      for (const value of Object.values(current)) this.log.addSecretValue(value, id);
      return {
        ...state,
        secrets: names.length ? await this.secretBox.encrypt(id, plugin, JSON.stringify(current)) : null,
        secretNames: names,
      };
    });
    return names;
  }

  /** Names of the secrets set for a plugin (never values). */
  async secretNames(tenantId: string, plugin: string): Promise<string[]> {
    this.registry.require(plugin);
    return [...((await this.requireTenant(tenantId)).plugins[plugin]?.secretNames ?? [])];
  }

  async getSecrets(tenantId: string, plugin: string): Promise<Secrets> {
    this.registry.require(plugin);
    const tenant = await this.requireTenant(tenantId);
    const sealed = tenant.plugins[plugin]?.secrets;
    if (!sealed) return new Secrets(plugin);
    const values = JSON.parse(await this.secretBox.decrypt(tenant.id, plugin, sealed)) as Record<string, string>;
    for (const value of Object.values(values)) this.log.addSecretValue(value, tenant.id);
    return new Secrets(plugin, values);
  }

  /** Call `listener` after any tenant's plugin is enabled, disabled (its tenant deleted, too) or reconfigured. */
  onPluginStateChange(listener: PluginStateListener): void {
    this.#listeners.push(listener);
  }

  async #updatePlugin(
    tenantId: string,
    plugin: string,
    change: (state: PluginState) => PluginState | Promise<PluginState>,
  ): Promise<void> {
    await this.requireTenant(tenantId);
    const id = tenantId.toLowerCase();
    await this.tenants.update(id, async (tenant) => {
      if (!tenant) throw new KernelError("ERR_TENANT_NOT_FOUND", `tenant ${tenantId} does not exist`);
      const state = tenant.plugins[plugin] ??
        { enabled: false, config: null, secrets: null, secretNames: [], updatedAt: "" };
      const next = await change(state);
      const updatedAt = new Date(this.now()).toISOString();
      return { ...tenant, plugins: { ...tenant.plugins, [plugin]: { ...next, updatedAt } }, updatedAt };
    });
    for (const listener of this.#listeners) await listener(id, plugin);
  }

  /**
   * Re-encrypt every stored secret (plugin secrets and webhook secrets) under the primary master
   * key. Afterwards older keys can be removed from DVP_MASTER_KEYS. Only tenants with something
   * to move are written. `unchanged` counts envelopes already under the primary key; `failed`
   * lists what could not be decrypted (kept as it was; the old key must stay until it is fixed).
   */
  async rotateSecrets(): Promise<
    {
      tenants: number;
      reencrypted: number;
      unchanged: number;
      primaryKeyId: string;
      failed: { tenantId: string; scope: string; error: string }[];
    }
  > {
    let tenants = 0, reencrypted = 0, unchanged = 0;
    const failed: { tenantId: string; scope: string; error: string }[] = [];
    const box = this.secretBox;
    type Tally = { reencrypted: number; unchanged: number; failed: typeof failed };
    const move = async (tally: Tally, id: string, scope: string, envelope: string) => {
      if (!box.needsRotation(envelope)) {
        tally.unchanged++;
        return envelope;
      }
      try {
        const sealed = await box.encrypt(id, scope, await box.decrypt(id, scope, envelope));
        tally.reencrypted++;
        return sealed;
      } catch (error) {
        tally.failed.push({ tenantId: id, scope, error: (error as Error).message });
        return envelope;
      }
    };
    for await (const id of this.tenants.ids()) {
      tenants++;
      // Counted per attempt: an update that lost a race runs its change again on the fresh record.
      let tally: Tally = { reencrypted: 0, unchanged: 0, failed: [] };
      const rotated = this.tenants.update(id, async (tenant) => {
        tally = { reencrypted: 0, unchanged: 0, failed: [] };
        if (!tenant) return null;
        const webhookSecrets = await Promise.all(
          tenant.webhookSecrets.map((s) => move(tally, id, WEBHOOK_SECRET_SCOPE, s)),
        );
        const plugins: Record<string, PluginState> = {};
        for (const [name, state] of Object.entries(tenant.plugins)) {
          plugins[name] = state.secrets ? { ...state, secrets: await move(tally, id, name, state.secrets) } : state;
        }
        return tally.reencrypted === 0 ? null : { ...tenant, webhookSecrets, plugins };
      });
      try {
        await rotated;
      } catch (error) {
        // One tenant that cannot be written (a conflict, a storage error) must not stop the others.
        failed.push({ tenantId: id, scope: "tenant", error: (error as Error)?.message ?? String(error) });
        continue;
      }
      reencrypted += tally.reencrypted;
      unchanged += tally.unchanged;
      failed.push(...tally.failed);
    }
    const report = { tenants, reencrypted, unchanged, primaryKeyId: box.primaryKeyId, failed };
    this.logger.info("secrets rotated", { ...report, failed: failed.length });
    return report;
  }

  // ── dispatch ───────────────────────────────────────────────────────────────────────────────

  /** A frozen HookContext for the tenant. */
  context(tenant: Readonly<TenantRecord>, init: Partial<HookContextInit> = {}): HookContext {
    return createHookContext({
      ...init,
      tenantId: tenant.id,
      tenantSlug: tenant.slug,
      tenantPlan: tenant.plan,
      timestamp: init.timestamp ?? new Date(this.now()),
    });
  }

  /** The tenant's enabled plugins that implement `hook`, in dispatch order. */
  enabledPlugins(tenant: Readonly<TenantRecord>, hook: HookName): RegisteredPlugin[] {
    return this.registry.implementing(hook).filter((p) => tenant.plugins[p.name]?.enabled === true);
  }

  /** Run an action hook on every enabled plugin of the tenant; resolves to one outcome per plugin. */
  async dispatch<H extends ActionHookName>(
    tenantId: string,
    hook: H,
    args: ActionHookArgs[H],
    init: Partial<HookContextInit> = {},
  ): Promise<DispatchResult> {
    const tenant = await this.requireTenant(tenantId);
    const ctx = this.context(tenant, init);
    const outcomes = await this.runAction(this.enabledPlugins(tenant, hook), hook, ctx, args);
    return { ctx, outcomes };
  }

  /** Run an action hook on exactly these plugins (the event processor uses it for retries). */
  runAction<H extends ActionHookName>(
    plugins: readonly RegisteredPlugin[],
    hook: H,
    ctx: HookContext,
    args: ActionHookArgs[H],
  ): Promise<HookOutcome[]> {
    return runActionHook(plugins, hook, ctx, args, { timeoutMs: this.hookTimeoutMs, logger: this.logger });
  }

  /** Run a filter hook through the tenant's enabled plugins in priority order. */
  async filter(
    tenantId: string,
    hook: FilterHookName,
    content: Content,
    metadata?: Metadata,
    init: Partial<HookContextInit> = {},
  ): Promise<Content> {
    const tenant = await this.requireTenant(tenantId);
    const ctx = this.context(tenant, init);
    return runFilterHook(this.enabledPlugins(tenant, hook), hook, ctx, content, metadata, {
      timeoutMs: this.hookTimeoutMs,
      logger: this.logger,
    });
  }

  // ── PluginHost ─────────────────────────────────────────────────────────────────────────────

  pluginConfig(plugin: string, tenantId: string): Promise<Record<string, unknown>> {
    return this.getConfig(tenantId, plugin);
  }

  pluginSecrets(plugin: string, tenantId: string): Promise<Secrets> {
    return this.getSecrets(tenantId, plugin);
  }

  pluginStorage(plugin: string, tenantId: string): PluginStorage {
    if (!isUuid(tenantId)) {
      throw new KernelError("ERR_TENANT_INVALID", `tenant id ${JSON.stringify(tenantId)} is not a UUID`);
    }
    return createPluginStorage(this.driver, tenantId.toLowerCase(), plugin);
  }

  pluginLogger(plugin: string): Logger {
    let logger = this.#pluginLoggers.get(plugin);
    if (!logger) {
      logger = getLogger(`dvp.plugin.${plugin}`, this.log).child({ plugin });
      this.#pluginLoggers.set(plugin, logger);
    }
    return logger;
  }
}

export function createKernel(options: KernelOptions = {}): Kernel {
  return new Kernel(options);
}

/** A fresh Standard Webhooks secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

export function isWebhookSecret(value: string): boolean {
  const body = value.startsWith("whsec_") ? value.slice(6) : value;
  return /^[A-Za-z0-9+/]{32,88}={0,2}$/.test(body);
}

/** A validator message with every secret value in it, raw or JSON-quoted, replaced (longest first). */
function safeSecretMessage(message: string, values: string[]): string {
  let out = message;
  for (const value of values.filter((v) => v.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(JSON.stringify(value)).join('"[redacted]"').split(value).join("[redacted]");
  }
  return out;
}

/** The names a schema's top level lists as `required` (none when it lists none). */
function requiredNames(schema: unknown): string[] {
  const required = (schema as { required?: unknown } | null)?.required;
  return Array.isArray(required) ? required.filter((name): name is string => typeof name === "string") : [];
}
