/**
 * Config validation without a kernel: what `setConfig` would store (defaults applied) or the
 * field errors it would reject with. The TypeScript form of the seed's "config validation" tests.
 */
import type { FieldError } from "../errors.ts";
import type { Plugin } from "../plugin.ts";
import { validate } from "../schema/index.ts";

export interface ConfigCheck<Config> {
  valid: boolean;
  /** The config with the schema's defaults applied. */
  value: Config;
  /** `{ path: "/api_endpoint", message: "is required" }`, … (empty when valid). */
  errors: FieldError[];
}

export function validateConfig<Config extends object>(plugin: Plugin<Config>, config: unknown): ConfigCheck<Config> {
  return validate<Config>(plugin.CONFIG_SCHEMA, asJson(config));
}

export function validateSecrets(plugin: Plugin, secrets: unknown): ConfigCheck<Record<string, string>> {
  return validate<Record<string, string>>(plugin.SECRETS_SCHEMA, asJson(secrets));
}

/**
 * Config arrives as JSON in production, so a test's `{ api_endpoint: undefined }` means "absent"
 * (the validator refuses `undefined` values outright).
 */
function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
