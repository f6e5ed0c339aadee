/** Where a page goes in the bucket and which viewer path CloudFront must forget. */
import { PluginError } from "../../src/errors.ts";
import type { Content } from "../../src/hooks.ts";
import type { S3DeployerConfig } from "./config.ts";

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export interface PageLocation {
  /** The S3 object key. */
  key: string;
  /** The viewer path to invalidate, e.g. "/blog/post". */
  path: string;
}

/** Derives the object key and viewer path from the content's `domain` and `path`; bad input is a PluginError. */
export function pageLocation(config: S3DeployerConfig, content: Content): PageLocation {
  const domain = typeof content.domain === "string" ? content.domain.trim().toLowerCase() : "";
  if (config.include_domain && !DOMAIN.test(domain)) {
    throw new PluginError(`content.domain must be a host name, got ${JSON.stringify(content.domain ?? null)}`);
  }
  const raw = typeof content.path === "string" && content.path !== "" ? content.path : "/";
  const pathOnly = raw.split(/[?#]/)[0]!;
  const segments = pathOnly.split("/").filter((s) => s !== "").map(safeDecode);
  if (segments.some((s) => s === "." || s === ".." || s.includes("\\"))) {
    throw new PluginError(`content.path must not contain . or .. segments, got ${JSON.stringify(raw)}`);
  }
  const last = segments.at(-1);
  const isFile = !pathOnly.endsWith("/") && last !== undefined && last.includes(".");
  const keySegments = isFile ? segments : [...segments, config.index_document];
  const key = `${config.key_prefix}${config.include_domain ? `${domain}/` : ""}${keySegments.join("/")}`;
  const path = `/${segments.join("/")}${pathOnly.endsWith("/") && segments.length ? "/" : ""}`;
  return { key, path };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
