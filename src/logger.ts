/**
 * Structured logging: one record per call, with the fields the seed's `extra=` carried
 * (tenant_id, plugin, correlation_id) as first-class keys. Values under secret-looking keys and
 * any registered secret value are replaced before a record is formatted, so a secret cannot be
 * printed by accident.
 *
 * The console sink writes the record as an object on Cloudflare Workers (Workers Logs and
 * `wrangler tail` index the fields of a logged object, not those inside a string) and as one line
 * of JSON elsewhere (Deno, Node, Deno Deploy: their collectors read stdout line by line). Both carry
 * the same fields: the object is the line parsed back (docs/observability.md).
 */
import { BoundedMap } from "./cache/bounded-map.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface LogRecord {
  level: LogLevel;
  msg: string;
  time: string;
  logger: string;
  tenant_id?: string;
  plugin?: string;
  correlation_id?: string;
  [extra: string]: unknown;
}

/** Receives each record and its formatted line. */
export type LogSink = (record: LogRecord, line: string) => void;

export interface Logger {
  readonly name: string;
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
  /**
   * An error-level record with the error's name, message and stack (the seed's
   * `logger.exception`): for failures a plugin catches and wants to keep the trace of. Secret
   * values are scrubbed from the message and the stack like from any other field.
   */
  exception(msg: string, error: unknown, extra?: Record<string, unknown>): void;
  /** Whether a record at this level would be written: skip building costly extras otherwise. */
  enabled(level: LogLevel): boolean;
  /** A logger whose records all carry these fields. */
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values are never printed. */
export const SECRET_KEY =
  /secret|token|passw(or)?d|authori[sz]ation|api[-_]?key|private[-_]?key|access[-_]?key|credential|cookie|signature|assertion|whsec/i;

const REDACTED = "[redacted]";

type Scrubber = (text: string) => string;

/** Secret values kept platform-wide, per tenant, and tenants kept (least recently used dropped first). */
const MAX_PLATFORM_SECRETS = 1_000;
const MAX_SECRETS_PER_TENANT = 256;
const MAX_SECRET_TENANTS = 1_000;

/** Values in insertion order, at most `max` (the oldest dropped first). */
class SecretList {
  readonly values = new Set<string>();
  /** Built for the platform list of this generation; null when either changed. */
  scrubbers: Scrubber[] | null = null;
  builtFor = -1;
  constructor(readonly max: number) {}

  /** Whether the list changed. */
  add(value: string): boolean {
    if (this.values.has(value)) return false;
    if (this.values.size >= this.max) this.values.delete(this.values.values().next().value!);
    this.values.add(value);
    this.scrubbers = null;
    return true;
  }
}

/** Where records go and from which level; a kernel and its plugins share one. */
export class LogConfig {
  level: LogLevel;
  sink: LogSink;
  /**
   * Values scrubbed from every record, and each tenant's own: a tenant saving many values drops
   * only its own oldest, never another tenant's (which would then reach logs and history).
   */
  readonly #platform: SecretList;
  readonly #tenants: BoundedMap<string, SecretList>;
  readonly #perTenant: number;
  /** Bumped on every change: what a record naming no tenant is scrubbed with is rebuilt then. */
  #generation = 0;
  /** Bumped when the platform's values change: each tenant's scrubbers include them. */
  #platformGeneration = 0;
  #all: { generation: number; scrubbers: Scrubber[] } | null = null;

  constructor(
    options: {
      level?: LogLevel;
      sink?: LogSink;
      /** Secret values kept per tenant (default 256). */
      maxSecretsPerTenant?: number;
      /** Tenants whose values are kept (default 1,000): the least recently used is dropped first. */
      maxSecretTenants?: number;
    } = {},
  ) {
    this.level = options.level ?? "info";
    this.sink = options.sink ?? consoleSink;
    this.#platform = new SecretList(MAX_PLATFORM_SECRETS);
    this.#perTenant = options.maxSecretsPerTenant ?? MAX_SECRETS_PER_TENANT;
    // A tenant's values dropped: what records naming no tenant are scrubbed with is rebuilt.
    this.#tenants = new BoundedMap(options.maxSecretTenants ?? MAX_SECRET_TENANTS, () => this.#generation++);
  }

  /**
   * Remember a secret value so it is scrubbed from any message or string field: the tenant's
   * (scrubbed from that tenant's records), or platform-wide without one. A tenant dropped as least
   * recently used has its values registered again when the kernel next reads them (secrets are
   * read before a hook can quote them). Short values are skipped: scrubbing "abc" everywhere would
   * mangle ordinary text.
   */
  addSecretValue(value: string, tenantId?: string): void {
    if (value.length < 8) return;
    const list = tenantId === undefined ? this.#platform : this.#tenant(tenantId, true)!;
    if (!list.add(value)) return;
    this.#generation++;
    if (list === this.#platform) this.#platformGeneration++;
  }

  /**
   * `text` without the secret values of `tenantId` and the platform's; a record that names no
   * tenant is scrubbed of every value held.
   */
  scrub(text: string, tenantId?: string): string {
    if (this.#generation === 0) return text;
    let scrubbers: Scrubber[];
    if (tenantId === undefined) {
      if (this.#all?.generation !== this.#generation) {
        const values = [...this.#platform.values];
        for (const list of this.#tenants.values()) values.push(...list.values);
        this.#all = { generation: this.#generation, scrubbers: scrubbersFor(values) };
      }
      scrubbers = this.#all.scrubbers;
    } else {
      const list = this.#tenant(tenantId, false);
      if (!list) scrubbers = this.#platform.scrubbers ??= scrubbersFor(this.#platform.values);
      else {
        // One set, longest first: a platform value that is a prefix of the tenant's must not leave its tail.
        if (!list.scrubbers || list.builtFor !== this.#platformGeneration) {
          list.scrubbers = scrubbersFor([...this.#platform.values, ...list.values]);
          list.builtFor = this.#platformGeneration;
        }
        scrubbers = list.scrubbers;
      }
    }
    for (const scrub of scrubbers) text = scrub(text);
    return text;
  }

  /** The tenant's list, made the most recently used (made when `create`; the least recent dropped past the bound). */
  #tenant(tenantId: string, create: boolean): SecretList | undefined {
    const key = tenantId.toLowerCase();
    const list = this.#tenants.touch(key);
    if (list || !create) return list;
    const created = new SecretList(this.#perTenant);
    this.#tenants.set(key, created);
    return created;
  }
}

/** Characters of pattern source per regular expression: V8 refuses one of about 32 K and more. */
const PATTERN_MAX = 8_192;

/**
 * Replacers for these secret values, longest first (a secret that is a prefix of another must not
 * leave the other's tail behind): alternations of bounded size, and a plain split for a value too
 * long for one. One huge secret must not make every later log line throw.
 */
function scrubbersFor(values: Iterable<string>): Scrubber[] {
  const scrubbers: Scrubber[] = [];
  let group: string[] = [];
  let size = 0;
  const close = () => {
    if (group.length === 0) return;
    const pattern = new RegExp(group.join("|"), "g");
    scrubbers.push((text) => text.replace(pattern, REDACTED));
    group = [];
    size = 0;
  };
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if (escaped.length > PATTERN_MAX) {
      close();
      scrubbers.push((text) => text.split(value).join(REDACTED));
      continue;
    }
    if (size + escaped.length + 1 > PATTERN_MAX) close();
    group.push(escaped);
    size += escaped.length + 1;
  }
  close();
  return scrubbers;
}

/** "object": the record as an object (Workers); "line": one line of JSON text (stdout collectors). */
export type LogFormat = "object" | "line";

/** "object" inside Cloudflare Workers (workerd's navigator says so), "line" anywhere else. */
export function defaultLogFormat(): LogFormat {
  const agent = (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent;
  return agent === "Cloudflare-Workers" ? "object" : "line";
}

/**
 * A sink writing each record to the console in `format`, each level to its console method, so
 * wrangler marks a warning as one (not as a red error). The object form is the line parsed back:
 * exactly the fields (and the scrubbed values) of the line, nothing a getter or a class adds.
 */
export function consoleSinkFor(format: LogFormat): LogSink {
  return (record, line) => {
    const out = format === "object" ? JSON.parse(line) as unknown : line;
    if (record.level === "error") console.error(out);
    else if (record.level === "warn") console.warn(out);
    else console.log(out);
  };
}

const runtimeSink = consoleSinkFor(defaultLogFormat());

/** The console sink for this runtime (see consoleSinkFor and defaultLogFormat). */
export function consoleSink(record: LogRecord, line: string): void {
  runtimeSink(record, line);
}

/** The configuration `getLogger` uses when no kernel supplies its own. */
export const defaultLogConfig: LogConfig = new LogConfig();

export function getLogger(name: string, config: LogConfig = defaultLogConfig): Logger {
  return new JsonLogger(name, config, {});
}

class JsonLogger implements Logger {
  constructor(
    readonly name: string,
    private readonly config: LogConfig,
    private readonly bindings: Record<string, unknown>,
  ) {}

  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= LEVELS[this.config.level];
  }

  child(bindings: Record<string, unknown>): Logger {
    const name = typeof bindings.logger === "string" ? bindings.logger : this.name;
    const { logger: _, ...rest } = bindings;
    return new JsonLogger(name, this.config, { ...this.bindings, ...rest });
  }

  debug(msg: string, extra?: Record<string, unknown>): void {
    this.write("debug", msg, extra);
  }
  info(msg: string, extra?: Record<string, unknown>): void {
    this.write("info", msg, extra);
  }
  warn(msg: string, extra?: Record<string, unknown>): void {
    this.write("warn", msg, extra);
  }
  error(msg: string, extra?: Record<string, unknown>): void {
    this.write("error", msg, extra);
  }
  exception(msg: string, error: unknown, extra?: Record<string, unknown>): void {
    if (!this.enabled("error")) return;
    let e: Error;
    try {
      e = error instanceof Error ? error : new Error(String(error));
    } catch {
      e = new Error("an error that cannot be turned into text"); // String() throws on Object.create(null)
    }
    // Stack frames are capped: a deep recursion's trace is not worth a megabyte of log.
    const stack = typeof e.stack === "string" ? e.stack.split("\n").slice(0, 30).join("\n") : undefined;
    this.write("error", msg, { ...extra, error: { name: e.name, message: e.message, ...(stack ? { stack } : {}) } });
  }

  private write(level: LogLevel, msg: string, extra?: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    // Scrubbed with the secrets of the tenant the record names (and the platform's); none: all held.
    const named = extra?.tenant_id ?? this.bindings.tenant_id;
    const tenant = typeof named === "string" && named ? named : undefined;
    const record: LogRecord = {
      level,
      msg: this.config.scrub(msg, tenant),
      time: new Date().toISOString(),
      logger: this.name,
    };
    for (const source of [this.bindings, extra]) {
      if (!source) continue;
      for (const key in source) {
        if (key === "level" || key === "msg" || key === "time" || key === "logger") continue;
        const value = source[key];
        if (value === undefined) continue;
        record[key] = SECRET_KEY.test(key) ? REDACTED : redact(value, this.config, 0, tenant);
      }
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ level, msg: record.msg, time: record.time, logger: this.name });
    }
    this.config.sink(record, line);
  }
}

/**
 * A copy of `value` safe to print: secret keys masked, secret values (the tenant's and the
 * platform's; every value held when no tenant is given) scrubbed, errors flattened.
 */
export function redact(value: unknown, config: LogConfig = defaultLogConfig, depth = 0, tenantId?: string): unknown {
  if (typeof value === "string") return config.scrub(value, tenantId);
  if (value === null || typeof value !== "object") return value;
  if (depth > 6) return "[depth]";
  if (value instanceof Error) {
    return { name: value.name, message: config.scrub(value.message, tenantId) };
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, config, depth + 1, tenantId));
  // Objects that define their own safe form (Secrets does) are trusted to have done so.
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return redact((value as { toJSON(): unknown }).toJSON(), config, depth + 1, tenantId);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, config, depth + 1, tenantId);
  }
  return out;
}
