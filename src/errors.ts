/**
 * Errors are classes with a string-literal `code`, so callers can switch on them (as jose does).
 * Messages name the plugin, tenant, task or variable at fault, and never carry a secret value.
 */
export type KernelErrorCode =
  | "ERR_PLUGIN_INVALID"
  | "ERR_PLUGIN_DUPLICATE"
  | "ERR_PLUGIN_INCOMPATIBLE"
  | "ERR_PLUGIN_NOT_FOUND"
  | "ERR_PLUGIN_NOT_REGISTERED"
  | "ERR_TENANT_INVALID"
  | "ERR_TENANT_NOT_FOUND"
  | "ERR_VALIDATION"
  | "ERR_SECRET_MISSING"
  | "ERR_DECRYPT"
  | "ERR_CONFIGURATION"
  | "ERR_FILTER_REJECTED"
  | "ERR_TASK_INVALID"
  | "ERR_TASK_NOT_FOUND"
  | "ERR_EVENT_NOT_FOUND"
  | "ERR_STORAGE"
  | "ERR_CONFLICT"
  | "ERR_TOO_LARGE"
  | "ERR_PLUGIN"
  | "ERR_UNSAFE_URL"
  | "ERR_AUTH"
  | "ERR_AUTH_UNAVAILABLE"
  | "ERR_TLS_PROBE"
  | "ERR_CERTIFICATE"
  | "ERR_WEBHOOK_HEADERS"
  | "ERR_WEBHOOK_TIMESTAMP"
  | "ERR_WEBHOOK_SIGNATURE"
  | "ERR_WEBHOOK_SECRET";

export class KernelError extends Error {
  readonly code: KernelErrorCode;
  constructor(code: KernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KernelError";
    this.code = code;
  }
}

/** One problem in a validated document: a JSON pointer into it and what is wrong there. */
export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends KernelError {
  readonly errors: FieldError[];
  constructor(message: string, errors: FieldError[]) {
    super("ERR_VALIDATION", message);
    this.name = "ValidationError";
    this.errors = errors;
  }
}

/** Enabling refused because secrets that SECRETS_SCHEMA requires are not set; `errors` name them at `/secrets/…`. */
export class MissingSecretsError extends ValidationError {
  constructor(plugin: string, names: string[]) {
    super(
      `plugin ${plugin} cannot be enabled until its secrets are set: ${names.join(", ")}`,
      names.map((name) => ({ path: `/secrets/${name}`, message: "must be set (a required secret)" })),
    );
    this.name = "MissingSecretsError";
  }
}

/** Start-up configuration that is missing or malformed; `variable` names the setting. */
export class ConfigurationError extends KernelError {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super("ERR_CONFIGURATION", `${variable}: ${problem}`);
    this.name = "ConfigurationError";
    this.variable = variable;
  }
}

/**
 * A tenant's stored config for a plugin does not satisfy the plugin's CONFIG_SCHEMA as it is now
 * (an upgrade added a required field, or none was ever saved): `getConfig` throws it, so the hook
 * fails with the fields named instead of running on a config typed as valid but missing them.
 */
export class PluginConfigError extends KernelError {
  readonly plugin: string;
  readonly errors: FieldError[];
  constructor(plugin: string, errors: FieldError[]) {
    const fields = errors.map((e) => `${e.path || "the config"} ${e.message}`).join("; ");
    super("ERR_CONFIGURATION", `plugin ${plugin} needs configuration: ${fields}`);
    this.name = "PluginConfigError";
    this.plugin = plugin;
    this.errors = errors;
  }
}

/**
 * Raised by a plugin to reject an operation with a message meant for the user
 * (the seed's PluginError). From a filter hook it rejects the whole operation.
 */
export class PluginError extends KernelError {
  declare readonly code: "ERR_PLUGIN";
  /** Set by the kernel to the plugin that raised it, when it passes through dispatch. */
  plugin?: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_PLUGIN", message, options);
    this.name = "PluginError";
  }
}

/** A filter chain stopped: `plugin` is the one whose filter rejected or failed. */
export class FilterRejectedError extends KernelError {
  readonly plugin: string;
  readonly hook: string;
  constructor(plugin: string, hook: string, message: string, options?: { cause?: unknown }) {
    super("ERR_FILTER_REJECTED", message, options);
    this.name = "FilterRejectedError";
    this.plugin = plugin;
    this.hook = hook;
  }
}

/**
 * The message of anything thrown, without assuming it is an Error. Never throws: a plugin may throw
 * a value whose message getter, toJSON or toString throws, and reporting it must not fail too.
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message || error.name);
    if (typeof error === "string") return error;
    return JSON.stringify(error) ?? String(error);
  } catch {
    try {
      return String(error);
    } catch {
      return `an unprintable ${typeof error}`;
    }
  }
}
