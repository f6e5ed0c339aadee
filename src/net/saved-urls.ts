/**
 * URLs a tenant saves, checked when they are saved with the guard that checks them again at each
 * call (url-guard.ts): every string at a `format: "uri"` property of the schema, and any URL a
 * plugin reports inside values the schema cannot mark (a field of a pasted JSON key file). A
 * refused URL is a field error at its JSON pointer, so the admin API answers 422 naming it and
 * the dashboard shows it next to the field. The call-time guard stays: a DNS name is judged
 * literally both times, and a value stored before this check existed is still refused.
 */
import type { FieldError } from "../errors.ts";
import type { Plugin } from "../plugin.ts";
import { escapePointer, type JsonSchema } from "../schema/index.ts";
import { checkUrl, type UrlGuardOptions } from "./url-guard.ts";

/** A URL inside a saved value, with the JSON pointer of the field that holds it. */
export interface SavedUrl {
  path: string;
  url: string;
  /** What the URL is when the field holds more than it (e.g. "token_uri"); named in the message. */
  name?: string;
}

/** Field errors for the URLs in `value` (a plugin's validated config or secrets) that the guard refuses. */
export function refusedUrls(
  plugin: Plugin,
  kind: "config" | "secrets",
  value: Record<string, unknown>,
  options: UrlGuardOptions,
): FieldError[] {
  const schema = kind === "config" ? plugin.CONFIG_SCHEMA : plugin.SECRETS_SCHEMA;
  return urlProblems([...uriFields(schema, value), ...(plugin.savedUrls?.(kind, value) ?? [])], options);
}

/** Every `format: "uri"` string of `value`, by `schema`'s properties and items. */
export function uriFields(schema: JsonSchema | undefined, value: unknown, path = ""): SavedUrl[] {
  if (!schema || typeof schema !== "object") return [];
  if (typeof value === "string") return schema.format === "uri" ? [{ path, url: value }] : [];
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    return Array.isArray(items) ? [] : value.flatMap((v, i) => uriFields(items, v, `${path}/${i}`));
  }
  if (!value || typeof value !== "object") return [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(value).flatMap(([name, v]) =>
    Object.hasOwn(properties, name) ? uriFields(properties[name], v, `${path}/${escapePointer(name)}`) : []
  );
}

/** Field errors for the URLs the guard refuses (scheme, credentials, private or internal host). */
export function urlProblems(urls: readonly SavedUrl[], options: UrlGuardOptions): FieldError[] {
  return urls.flatMap(({ path, url, name }) => {
    const check = checkUrl(url, options);
    return check.ok ? [] : [{ path, message: `${name ? `${name} ` : ""}is not an allowed URL: ${check.reason}` }];
  });
}
