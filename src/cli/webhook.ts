/**
 * `dvp webhook send`: a signed test delivery to a local or deployed kernel, exactly as the CMS
 * sends it (Standard Webhooks headers, the snake_case body of the HTTP contract), then the
 * answer's status and body. `--filter` calls the signed filter endpoint instead.
 */
import { webhookHeaders } from "../http/standard-webhooks.ts";
import { isWebhookSecret } from "../kernel.ts";
import { allowOnly, type ParsedArgs, stringFlag, UsageError } from "./args.ts";
import type { CliIo } from "./io.ts";

export const WEBHOOK_USAGE =
  "dvp webhook send --url <base> --tenant <id> --secret <whsec_…> [--type content.published|content.updated|content.deleted] [--content-id id] [--content '<json>'] [--metadata '<json>'] [--correlation-id id] [--id msg_…] [--filter]";

const TYPES = ["content.published", "content.updated", "content.deleted"];

export async function webhookCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const [sub, ...rest] = args.positionals;
  if (sub !== "send" || rest.length) throw new UsageError(`usage: ${WEBHOOK_USAGE}`);
  allowOnly(args, [
    "url",
    "tenant",
    "secret",
    "type",
    "content-id",
    "content",
    "metadata",
    "correlation-id",
    "id",
    "filter",
  ]);
  const need = (name: string) => {
    const value = stringFlag(args, name);
    if (!value) throw new UsageError(`--${name} is required: ${WEBHOOK_USAGE}`);
    return value;
  };
  const base = need("url");
  const tenant = need("tenant");
  const secret = need("secret");
  if (!isWebhookSecret(secret)) throw new UsageError("--secret must be a whsec_… secret (whsec_ followed by base64)");
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(base)} is not a URL (e.g. http://127.0.0.1:8787)`);
  }
  const type = stringFlag(args, "type") ?? "content.published";
  if (!TYPES.includes(type)) throw new UsageError(`--type must be one of ${TYPES.join(", ")}`);
  const contentId = stringFlag(args, "content-id") ?? `content-${crypto.randomUUID().slice(0, 8)}`;
  const content = parseJsonFlag(args, "content") ?? {
    content_id: contentId,
    domain: "example.com",
    path: "/hello-world",
    page_type: "article",
    title: "Hello, world",
    rendered_html: "<html><body><h1>Hello, world</h1></body></html>",
  };
  const metadata = parseJsonFlag(args, "metadata") ?? {};
  const filter = args.flags.filter === true;

  const path = filter
    ? `v1/tenants/${encodeURIComponent(tenant)}/filters/${
      type === "content.updated" ? "content.before_update" : "content.before_create"
    }`
    : `v1/webhooks/${encodeURIComponent(tenant)}`;
  const target = new URL(path, url.href.endsWith("/") ? url.href : `${url.href}/`);
  const body = JSON.stringify(
    filter
      ? { content, metadata }
      : { type, timestamp: new Date().toISOString(), data: { content_id: contentId, content, metadata } },
  );
  const id = stringFlag(args, "id") ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...(await webhookHeaders(secret, id, new Date(), body)),
  };
  const correlationId = stringFlag(args, "correlation-id");
  if (correlationId) headers["x-correlation-id"] = correlationId;

  io.out(`POST ${target.href}  (${filter ? "filter" : type}, webhook-id ${id})`);
  let response: Response;
  try {
    response = await io.fetch(target.href, { method: "POST", headers, body });
  } catch (error) {
    io.err(`request failed: ${(error as Error).message} (is the kernel running at ${url.origin}?)`);
    return 1;
  }
  const text = await response.text();
  io.out(`HTTP ${response.status} ${response.statusText}`.trimEnd());
  io.out(prettyJson(text));
  return response.ok ? 0 : 1;
}

function parseJsonFlag(args: ParsedArgs, name: string): Record<string, unknown> | undefined {
  const text = stringFlag(args, name);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--${name} is not valid JSON: ${(error as Error).message}`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`--${name} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
