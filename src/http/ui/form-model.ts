/**
 * CONFIG_SCHEMA → form: a pure mapping from a draft-07 schema to a tree of form fields, and back
 * from submitted form data to a JSON document. Inputs are named by the JSON pointer of their
 * value, so a server validation error (`{path, message}`) lands on the field that produced it.
 * What the generator cannot render faithfully (oneOf, anyOf, patternProperties, arrays of
 * objects, …) becomes a JSON editor for that subtree instead of a lossy widget.
 */
import type { FieldError } from "../../errors.ts";
import { escapePointer, type JsonSchema } from "../../schema/index.ts";

export type FieldKind =
  | "text"
  | "textarea"
  | "url"
  | "email"
  | "date"
  | "number"
  | "integer"
  | "checkbox"
  | "select"
  | "checkboxes"
  | "lines"
  | "fieldset"
  | "json";

export type Scalar = string | number | boolean | null;

export interface FormField {
  kind: FieldKind;
  /** JSON pointer of the value ("" for the root); also the input's name. */
  path: string;
  /** The property name ("" for the root). */
  key: string;
  label: string;
  description?: string;
  required: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  step?: number | "any";
  minLength?: number;
  maxLength?: number;
  /** select and checkboxes: the allowed values, in schema order. */
  options?: Scalar[];
  /** lines: the item type. */
  itemType?: "string" | "number" | "integer";
  /** fieldset: its properties, in schema order. */
  fields?: FormField[];
  /** json: why the generator fell back to a JSON editor. */
  reason?: string;
}

type Schema = Record<string, unknown>;

/** Keywords whose meaning a form of plain inputs cannot express. */
const UNRENDERABLE = [
  "oneOf",
  "anyOf",
  "allOf",
  "not",
  "if",
  "$ref",
  "patternProperties",
  "dependencies",
  "const",
  "propertyNames",
] as const;

/** The form for a plugin's CONFIG_SCHEMA: a root fieldset, or one JSON editor when the root itself is unrenderable. */
export function buildForm(schema: JsonSchema): FormField {
  return fieldFor(schema as Schema, "", "", true);
}

function fieldFor(schema: Schema, path: string, key: string, required: boolean): FormField {
  const base = {
    path,
    key,
    label: typeof schema.title === "string" ? schema.title : humanize(key),
    required,
    ...(typeof schema.description === "string" ? { description: schema.description } : {}),
    ...("default" in schema ? { default: schema.default } : {}),
  };
  const reason = unrenderable(schema);
  if (reason) return { ...base, kind: "json", reason };
  const type = typeOf(schema);
  if (Array.isArray(schema.enum)) return { ...base, kind: "select", options: schema.enum as Scalar[] };
  switch (type) {
    case "string":
      return { ...base, kind: stringKind(schema), ...lengths(schema) };
    case "integer":
    case "number":
      return { ...base, kind: type, ...bounds(schema, type) };
    case "boolean":
      return { ...base, kind: "checkbox" };
    case "array":
      return arrayField(schema, base);
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const requiredKeys = new Set(Array.isArray(schema.required) ? schema.required as string[] : []);
      const fields = Object.entries(properties).map(([name, sub]) =>
        fieldFor(sub, `${path}/${escapePointer(name)}`, name, requiredKeys.has(name))
      );
      return { ...base, kind: "fieldset", fields };
    }
    default:
      return { ...base, kind: "json", reason: "has no single type" };
  }
}

function arrayField(schema: Schema, base: Omit<FormField, "kind">): FormField {
  const items = schema.items as Schema | undefined;
  const itemType = items ? typeOf(items) : undefined;
  if (items && Array.isArray(items.enum) && !unrenderable(items) && items.enum.every(isScalar)) {
    return { ...base, kind: "checkboxes", options: items.enum as Scalar[] };
  }
  if (items && !unrenderable(items) && (itemType === "string" || itemType === "number" || itemType === "integer")) {
    return { ...base, kind: "lines", itemType };
  }
  return {
    ...base,
    kind: "json",
    reason: itemType === "object" ? "is a list of objects" : "is a list of lists or mixed items",
  };
}

/** Why `schema` needs the JSON editor, or null when plain inputs can express it. */
export function unrenderable(schema: Schema): string | null {
  if (!schema || typeof schema !== "object") return "is not a schema object";
  for (const keyword of UNRENDERABLE) if (keyword in schema) return `uses ${keyword}`;
  if (Array.isArray(schema.type)) return "allows several types";
  if (Array.isArray(schema.items)) return "is a fixed-position list (tuple)";
  const additional = schema.additionalProperties;
  if (additional && typeof additional === "object") return "has free-form keys (additionalProperties)";
  if (Array.isArray(schema.enum) && !schema.enum.every(isScalar)) return "offers non-scalar choices";
  const type = typeOf(schema);
  if (type === "object" && !schema.properties && additional !== false) return "has free-form keys";
  return null;
}

function typeOf(schema: Schema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (schema.properties) return "object";
  if (Array.isArray(schema.enum)) return "enum";
  return undefined;
}

function stringKind(schema: Schema): FieldKind {
  switch (schema.format) {
    case "uri":
    case "url":
      return "url";
    case "email":
      return "email";
    case "date":
      return "date";
    default:
      return typeof schema.maxLength === "number" && schema.maxLength <= 200 ? "text" : longText(schema);
  }
}

/** Long free text (no maxLength, or a large one) with a "multiline" hint gets a textarea. */
function longText(schema: Schema): FieldKind {
  return schema["x-multiline"] === true || (typeof schema.maxLength === "number" && schema.maxLength > 1000)
    ? "textarea"
    : "text";
}

function lengths(schema: Schema): Partial<FormField> {
  return {
    ...(typeof schema.minLength === "number" ? { minLength: schema.minLength } : {}),
    ...(typeof schema.maxLength === "number" ? { maxLength: schema.maxLength } : {}),
  };
}

function bounds(schema: Schema, type: "integer" | "number"): Partial<FormField> {
  const out: Partial<FormField> = {};
  if (typeof schema.minimum === "number") out.minimum = schema.minimum;
  if (typeof schema.maximum === "number") out.maximum = schema.maximum;
  if (typeof schema.multipleOf === "number") out.step = schema.multipleOf;
  else out.step = type === "integer" ? 1 : "any";
  return out;
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/** "timeout_seconds" → "Timeout seconds", for properties without a title. */
export function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").trim().toLowerCase();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "Configuration";
}

/**
 * The HTML id of the field at `path`: the prefix and the pointer itself ("cfg/alerts/email").
 * Ids may hold any character but whitespace (aria-describedby lists ids by spaces), so only
 * whitespace and "%" are percent-escaped, which keeps distinct paths distinct.
 */
export function fieldId(prefix: string, path: string): string {
  const escaped = path.replace(/[\s%]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return `${prefix}${escaped || "/"}`;
}

// ── form data → document ─────────────────────────────────────────────────────────────────────

/** The part of FormData the parser reads (URLSearchParams fits too). */
export interface FormSource {
  get(name: string): string | File | null;
  getAll(name: string): (string | File)[];
}

export interface ParsedForm {
  value: unknown;
  /** Inputs that could not be turned into their type (not a number, not JSON, unknown option). */
  errors: FieldError[];
}

/** Turn submitted form data back into the document the form was generated for. */
export function parseForm(root: FormField, data: FormSource): ParsedForm {
  const errors: FieldError[] = [];
  const value = parseField(root, data, errors);
  return { value: value === undefined && root.kind === "fieldset" ? {} : value, errors };
}

function text(data: FormSource, name: string): string {
  const v = data.get(name);
  return typeof v === "string" ? v : "";
}

function parseField(field: FormField, data: FormSource, errors: FieldError[]): unknown {
  const fail = (message: string) => {
    errors.push({ path: field.path, message });
    return undefined;
  };
  switch (field.kind) {
    case "fieldset": {
      const out: Record<string, unknown> = {};
      let meaningful = false;
      for (const child of field.fields ?? []) {
        const v = parseField(child, data, errors);
        if (v === undefined) continue;
        out[child.key] = v;
        // An unchecked box alone does not bring an optional section into being.
        if (!(child.kind === "checkbox" && v === false)) meaningful = true;
      }
      return meaningful || field.required ? out : undefined;
    }
    case "checkbox":
      return data.get(field.path) !== null;
    case "select": {
      const raw = text(data, field.path);
      if (raw === "") return undefined;
      const match = field.options?.find((o) => optionValue(o) === raw);
      return match === undefined ? fail("must be one of the listed options") : match;
    }
    case "checkboxes": {
      const chosen = data.getAll(field.path).map(String);
      const unknown = chosen.filter((c) => !field.options?.some((o) => optionValue(o) === c));
      if (unknown.length) return fail("must be chosen from the listed options");
      return emptyList(field, (field.options ?? []).filter((o) => chosen.includes(optionValue(o))));
    }
    case "lines": {
      const lines = text(data, field.path).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
      if (field.itemType === "string") return emptyList(field, lines);
      const numbers = lines.map(Number);
      const bad = lines.findIndex((_, i) => !Number.isFinite(numbers[i]));
      return bad >= 0 ? fail(`line ${bad + 1} is not a number`) : emptyList(field, numbers);
    }
    case "number":
    case "integer": {
      const raw = text(data, field.path).trim();
      if (raw === "") return undefined;
      const n = Number(raw);
      return Number.isFinite(n) ? n : fail("must be a number");
    }
    case "json": {
      const raw = text(data, field.path).trim();
      if (raw === "") return undefined;
      try {
        return JSON.parse(raw);
      } catch (error) {
        return fail(`is not valid JSON (${(error as Error).message})`);
      }
    }
    default: {
      const raw = text(data, field.path);
      return raw.trim() === "" ? undefined : raw;
    }
  }
}

/**
 * An empty list is "none" where that differs from leaving the setting out (the field is required,
 * or its default is not empty); otherwise the setting is left out, as an empty text field is.
 */
function emptyList<T>(field: FormField, list: T[]): T[] | undefined {
  if (list.length || field.required) return list;
  return Array.isArray(field.default) && field.default.length ? list : undefined;
}

/** How an option travels in a form: strings as they are, other scalars as JSON. */
export function optionValue(option: Scalar): string {
  return typeof option === "string" ? option : JSON.stringify(option);
}

// ── errors → fields ──────────────────────────────────────────────────────────────────────────

/**
 * Assign each error to the deepest rendered field at or above its path (an error inside a JSON
 * editor or a list lands on that editor or list). Errors no field owns stay with the root.
 */
export function errorsByField(root: FormField, errors: FieldError[]): Map<string, string[]> {
  const paths = new Set<string>();
  const collect = (f: FormField) => {
    paths.add(f.path);
    f.fields?.forEach(collect);
  };
  collect(root);
  const out = new Map<string, string[]>();
  for (const error of errors) {
    let path = error.path;
    while (!paths.has(path) && path !== "") path = path.slice(0, path.lastIndexOf("/"));
    if (!paths.has(path)) path = root.path;
    out.set(path, [...(out.get(path) ?? []), error.message]);
  }
  return out;
}

/** The value at a JSON pointer, or undefined. */
export function valueAt(document: unknown, path: string): unknown {
  if (path === "") return document;
  let current = document;
  for (const raw of path.slice(1).split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!current || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}
