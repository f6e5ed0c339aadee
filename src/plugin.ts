/**
 * The base class of every plugin: metadata, schemas, and tenant-scoped access to config,
 * secrets, storage and logging through the kernel it is registered with.
 */
import { KernelError } from "./errors.ts";
import type { FilterHookName } from "./hooks.ts";
import type { Logger } from "./logger.ts";
import type { SavedUrl } from "./net/saved-urls.ts";
import { EMPTY_OBJECT_SCHEMA, type JsonSchema } from "./schema/index.ts";
import type { Secrets } from "./secrets.ts";
import type { PluginStorage } from "./store/plugin-storage.ts";

/** What a registered plugin can ask of its kernel. */
export interface PluginHost {
  pluginConfig(plugin: string, tenantId: string): Promise<Record<string, unknown>>;
  pluginSecrets(plugin: string, tenantId: string): Promise<Secrets>;
  pluginStorage(plugin: string, tenantId: string): PluginStorage;
  pluginLogger(plugin: string): Logger;
  /** The kernel's `fetch` (tests and the dev server substitute it). */
  readonly fetch: typeof fetch;
  /** Milliseconds since the epoch, from the kernel's clock. */
  now(): number;
}

export abstract class Plugin<Config extends object = Record<string, unknown>> {
  /** Lowercase slug, e.g. "my-plugin". */
  abstract readonly name: string;
  /** Semantic version, e.g. "1.0.0". */
  abstract readonly version: string;
  description = "";
  author = "";
  /** Kernel versions this plugin works with, as a semver range (e.g. "^1.0.0"). */
  kernelVersion?: string;

  /** JSON Schema (draft-07) of the tenant's public configuration; the admin form is generated from it. */
  CONFIG_SCHEMA: JsonSchema = EMPTY_OBJECT_SCHEMA;
  /** JSON Schema (draft-07) of the tenant's secrets: string properties, stored encrypted, never shown back. */
  SECRETS_SCHEMA: JsonSchema = EMPTY_OBJECT_SCHEMA;

  /** Filter order: lower runs first (default 100), for all filter hooks or per hook. */
  priority?: number | Partial<Record<FilterHookName, number>>;
  /** When true, an unexpected error in this plugin's filters skips it instead of rejecting the operation. */
  failOpen = false;
  /** Per-call time limit for this plugin's action hooks, in ms (default: the kernel's, 10 s). */
  hookTimeoutMs?: number;
  /**
   * URLs inside config or secrets that no `format: "uri"` can mark (a field of a pasted JSON key
   * file), with the field that holds them: saving one the URL guard refuses is refused (422).
   */
  savedUrls?(kind: "config" | "secrets", value: Record<string, unknown>): SavedUrl[];

  #host: PluginHost | undefined;
  #logger: Logger | undefined;

  /** @internal Called by the registry; a plugin instance belongs to one kernel. */
  attach(host: PluginHost | undefined): void {
    if (host && this.#host && this.#host !== host) {
      throw new KernelError(
        "ERR_PLUGIN_INVALID",
        `plugin ${this.name}: this instance is already registered with another kernel`,
      );
    }
    this.#host = host;
    this.#logger = undefined;
  }

  protected get host(): PluginHost {
    if (!this.#host) {
      throw new KernelError("ERR_PLUGIN_NOT_REGISTERED", `plugin ${this.name} is not registered with a kernel`);
    }
    return this.#host;
  }

  /** A logger bound to this plugin: every record carries `plugin`. */
  get logger(): Logger {
    return (this.#logger ??= this.host.pluginLogger(this.name));
  }

  /** The tenant's validated configuration with the schema's defaults applied. */
  async getConfig(tenantId: string): Promise<Config> {
    return (await this.host.pluginConfig(this.name, tenantId)) as Config;
  }

  /** The tenant's decrypted secrets: `.require(name)` or `.get(name, default)`. */
  getSecrets(tenantId: string): Promise<Secrets> {
    return this.host.pluginSecrets(this.name, tenantId);
  }

  /** Key-value storage private to this plugin and tenant (sync state, snapshots, markers). */
  storage(tenantId: string): PluginStorage {
    return this.host.pluginStorage(this.name, tenantId);
  }

  /** The kernel's fetch: use it for outbound calls so tests and fakes see them. */
  protected get fetch(): typeof fetch {
    return this.host.fetch;
  }
}
