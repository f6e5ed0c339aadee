/**
 * A small config that satisfies a schema's required fields, made up from the schema itself
 * (`example.com` for hostnames, `https://example.com` for URIs, the first enum value, the minimum
 * of a range, one item for a required non-empty list). Used to ask a plugin for its schedules when
 * nobody has configured it; null when the schema asks for more than this can invent.
 */
import { type JsonSchema, validate } from "../schema/index.ts";

export function sampleConfig(schema: JsonSchema): Record<string, unknown> | null {
  const value = sample(schema, 0);
  if (!value || typeof value !== "object" || Array.isArray(value)) return null;
  return validate(schema, value).valid ? value as Record<string, unknown> : null;
}

function sample(schema: JsonSchema, depth: number): unknown {
  if (depth > 5) return undefined;
  if ("default" in schema) return structuredClone(schema.default);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      for (const name of (schema.required ?? []) as string[]) {
        const sub = props[name];
        if (sub) out[name] = sample(sub, depth + 1);
      }
      return out;
    }
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0;
      const items = schema.items as JsonSchema | undefined;
      return items && min > 0 ? Array.from({ length: min }, () => sample(items, depth + 1)) : [];
    }
    case "string":
      return sampleString(schema);
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return false;
    default:
      return undefined;
  }
}

function sampleString(schema: JsonSchema): string {
  if (schema.format === "uri" || schema.format === "url") return "https://example.com";
  if (schema.format === "hostname") return "example.com";
  if (schema.format === "email") return "ops@example.com";
  return typeof schema.minLength === "number" ? "x".repeat(Math.max(schema.minLength, 1)) : "example";
}
