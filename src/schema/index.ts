/**
 * JSON Schema (draft-07) for plugin config and secrets, on @cfworker/json-schema: schemas are
 * checked against the meta-schema at registration, compiled once, and documents get their
 * defaults applied before validation. Errors come back as `{ path, message }` with `path` a
 * JSON pointer to the field, so a form can show each one where it belongs.
 */
import { type Schema, Validator } from "@cfworker/json-schema";
import type { FieldError } from "../errors.ts";
import { DRAFT_07_META_SCHEMA } from "./draft-07.ts";
import { friendlyMessage } from "./messages.ts";

/** A JSON Schema document, as plugins write it (`as const` keeps it usable with `FromSchema`). */
export type JsonSchema = { readonly [keyword: string]: unknown };

export const EMPTY_OBJECT_SCHEMA: JsonSchema = Object.freeze({
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {},
});

const compiled = new WeakMap<object, Validator>();

function validatorFor(schema: JsonSchema): Validator {
  let validator = compiled.get(schema);
  if (!validator) {
    // The validator annotates the schema it is given: hand it a copy, the plugin's may be frozen.
    validator = new Validator(structuredClone(schema) as Schema, "7", false);
    compiled.set(schema, validator);
  }
  return validator;
}

/** Problems that make `schema` unusable as a plugin's config or secrets schema. */
export function checkSchema(schema: unknown): FieldError[] {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
    return [{ path: "", message: "must be a JSON Schema object" }];
  }
  const errors = toFieldErrors(validatorFor(DRAFT_07_META_SCHEMA).validate(schema).errors, DRAFT_07_META_SCHEMA);
  const s = schema as Record<string, unknown>;
  if (s.$schema !== undefined && !/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/.test(String(s.$schema))) {
    errors.push({ path: "/$schema", message: "must be the draft-07 meta-schema URI" });
  }
  if (s.type !== "object") errors.push({ path: "/type", message: 'must be "object"' });
  return errors;
}

export interface ValidationOutcome<T> {
  valid: boolean;
  /** The document with defaults applied (a copy; the input is not changed). */
  value: T;
  errors: FieldError[];
}

export function validate<T = Record<string, unknown>>(schema: JsonSchema, document: unknown): ValidationOutcome<T> {
  // Through JSON: what is stored is JSON, and `undefined` members (which the validator cannot
  // type) mean "absent" there, as they do on the wire.
  let copy: unknown;
  try {
    copy = document === undefined ? {} : JSON.parse(JSON.stringify(document));
  } catch {
    return { valid: false, value: document as T, errors: [{ path: "", message: "must be JSON" }] };
  }
  const value = applyDefaults(schema, copy);
  const result = validatorFor(schema).validate(value);
  return { valid: result.valid, value: value as T, errors: result.valid ? [] : toFieldErrors(result.errors, schema) };
}

/** Fills in `default`s of absent properties, at every level whose object is present. */
export function applyDefaults(schema: JsonSchema, value: unknown): unknown {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return value;
  const object = value as Record<string, unknown>;
  for (const [key, sub] of Object.entries(properties)) {
    if (!sub || typeof sub !== "object") continue;
    // A defaulted object gets its own properties' defaults too (`limits: {default: {}}` → filled in).
    if (object[key] === undefined && "default" in sub) object[key] = applyDefaults(sub, structuredClone(sub.default));
    else if (object[key] !== undefined) object[key] = applyDefaults(sub, object[key]);
  }
  return value;
}

/** Keywords whose errors only summarise the errors of their subschemas, reported separately. */
const SUMMARY = new Set([
  "properties",
  "items",
  "additionalItems",
  "additionalProperties",
  "allOf",
  "$ref",
  "contains",
  "dependencies",
  "patternProperties",
  "propertyNames",
  "if",
  "then",
  "else",
]);

function toFieldErrors(
  units: { instanceLocation: string; keyword: string; keywordLocation: string; error: string }[],
  schema: JsonSchema,
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const unit of units) {
    if (SUMMARY.has(unit.keyword)) continue;
    let path = unit.instanceLocation.replace(/^#/, "");
    let message = unit.error;
    if (unit.keyword === "required") {
      const name = /"([^"]*)"/.exec(unit.error)?.[1];
      if (name !== undefined) path = `${path}/${escapePointer(name)}`;
      message = "is required";
    } else if (unit.keyword === "false") {
      message = "is not an allowed property";
    } else if (unit.keyword === "pattern") {
      // The validator does not say which pattern; the schema does.
      const pattern = at(schema, unit.keywordLocation);
      message = typeof pattern === "string" ? `must match the pattern ${pattern}` : "is not in the expected format";
    } else message = friendlyMessage(message);
    const key = `${path}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}

/** The value at a `#/a/b` JSON pointer into the schema, or undefined. */
function at(schema: JsonSchema, location: string): unknown {
  let node: unknown = schema;
  for (const raw of location.replace(/^#\/?/, "").split("/")) {
    if (raw === "") continue;
    const token = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[token] : undefined;
  }
  return node;
}

/** One JSON-pointer reference token (RFC 6901): `~` as `~0`, `/` as `~1`. */
export function escapePointer(token: string): string {
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}
