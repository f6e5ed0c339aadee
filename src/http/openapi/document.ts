/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route table (./routes.ts) and the
 * component schemas (./schemas.ts), with each registered plugin's config and secrets schema as
 * components (`plugin-<name>-config`, `plugin-<name>-secrets`). Only the operations the app really
 * registered are listed (an app built without the admin API does not advertise it), and the server
 * URL is where the document was asked for, so a mounted app describes its own prefix.
 */
import { type Operation, OPERATIONS, statusesOf } from "./routes.ts";
import { SCHEMAS } from "./schemas.ts";
import { escapePointer } from "../../schema/index.ts";

type Json = Record<string, unknown>;

export interface PluginSchemas {
  name: string;
  plugin: { version: string; CONFIG_SCHEMA: unknown; SECRETS_SCHEMA: unknown };
}

export const OPENAPI_PATH = "/v1/openapi.json";

const WEBHOOK_HEADERS = [
  ["webhook-id", "the delivery's id: a repeat within 7 days is answered 200 duplicate, not run again"],
  ["webhook-timestamp", "seconds since the epoch; refused outside the tolerance"],
  ["webhook-signature", "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` with the tenant's `whsec_` secret"],
] as const;

/** `/v1/tenants/:id` (Hono) → `/v1/tenants/{id}` (OpenAPI). */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");
}

export function openApiDocument(options: {
  version: string;
  plugins: readonly PluginSchemas[];
  /** The app's routes (method and Hono path); operations without one are left out. */
  routes?: readonly { method: string; path: string }[];
  /** Where the app is mounted ("" at the root). */
  prefix?: string;
}): Json {
  const registered = options.routes &&
    new Set(options.routes.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`));
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    if (registered && !registered.has(`${op.method} ${op.path}`)) continue;
    (paths[op.path] ??= {})[op.method] = operation(op);
  }
  const schemas: Json = { ...SCHEMAS };
  for (const { name, plugin } of options.plugins) {
    const config = `plugin-${name}-config`;
    const secrets = `plugin-${name}-secrets`;
    schemas[config] = embedded(plugin.CONFIG_SCHEMA, `${name} ${plugin.version}: config`, config);
    schemas[secrets] = embedded(plugin.SECRETS_SCHEMA, `${name} ${plugin.version}: secret names`, secrets);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "dvp-kernel",
      version: options.version,
      description: "The plugin kernel's admin API and CMS webhook endpoints. Every error is application/problem+json.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    servers: [{ url: options.prefix || "/" }],
    tags: [
      { name: "admin", description: "Bearer JWT (HS256 or a JWKS), scoped to tenants" },
      { name: "webhooks", description: "Standard Webhooks signatures with the tenant's secret" },
      { name: "platform", description: "Liveness, this document, and platform-token operations" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: { admin: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      responses: {
        Problem: {
          description: "A refusal or failure (RFC 9457)",
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        },
      },
    },
  };
}

function operation(op: Operation): Json {
  const parameters: Json[] = [...op.path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: name === "id" || name === "tenant_id" ? { type: "string", format: "uuid" } : { type: "string" },
  }));
  for (const q of op.query ?? []) {
    parameters.push({ name: q.name, in: "query", schema: q.schema, description: q.description });
  }
  if (op.security === "webhook") {
    for (const [name, description] of WEBHOOK_HEADERS) {
      parameters.push({ name, in: "header", required: true, schema: { type: "string" }, description });
    }
  }
  const responses: Json = {};
  for (const status of statusesOf(op)) {
    const component = op.ok[status];
    if (component === undefined) responses[status] = { $ref: "#/components/responses/Problem" };
    else if (component === null) responses[status] = { description: status === 204 ? "No content" : "The document" };
    else {
      responses[status] = {
        description: component,
        content: { "application/json": { schema: { $ref: `#/components/schemas/${component}` } } },
      };
    }
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    tags: [op.tag],
    security: op.security === "admin" || op.security === "platform" ? [{ admin: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
        requestBody: {
          required: !op.body.optional,
          content: { "application/json": { schema: { $ref: `#/components/schemas/${op.body.schema}` } } },
        },
      }
      : {}),
    responses,
  };
}

/**
 * A plugin's own schema (draft-07) as a component, without the keywords that name its dialect or
 * id: inside the document, an `$id` would make every `#/…` of the document's own refs relative to
 * the plugin's schema, and `$schema` belongs to a resource root only. Its local refs (`#`,
 * `#/definitions/x`) are made absolute within the document (`#/components/schemas/<name>/…`), so
 * they point where they pointed in the plugin's schema, not at the document's root.
 */
function embedded(schema: unknown, description: string, name: string): Json {
  const copy = { ...(schema && typeof schema === "object" ? schema as Json : {}) };
  delete copy.$schema;
  delete copy.$id;
  const root = `#/components/schemas/${escapePointer(name)}`;
  return { description, ...(rebased(copy, root) as Json) };
}

/** Keywords whose values are instance data, not schemas: a "$ref" inside them is data. */
const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples", "example"]);

/** A copy of `node` with every local `$ref` ("#…") moved under `root`. */
function rebased(node: unknown, root: string): unknown {
  if (Array.isArray(node)) return node.map((item) => rebased(item, root));
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string" && (value === "#" || value.startsWith("#/"))) {
      out[key] = root + value.slice(1);
    } else out[key] = DATA_KEYWORDS.has(key) ? value : rebased(value, root);
  }
  return out;
}
