/** Where a page goes in the bucket and which viewer paths CloudFront must forget. */
import { PluginError } from "@dvp/kernel";
import type { Content } from "@dvp/kernel";
import type { S3DeployerConfig } from "./config.ts";

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

export interface PageLocation {
  /** The S3 object key. */
  key: string;
  /** The page's viewer path, e.g. "/blog/post". */
  path: string;
  /**
   * Every viewer path a CDN may have cached the object under. A page stored as
   * `…/blog/post/index.html` is served for `/blog/post`, `/blog/post/` and `/blog/post/index.html`,
   * and CloudFront caches each request path separately, so all three are invalidated (explicit
   * paths, not `/blog/post*`: a wildcard would also drop `/blog/post-2`, and CloudFront allows
   * only 15 wildcard paths in progress against 3,000 plain ones).
   */
  paths: string[];
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
  return { key, path, paths: isFile ? [path] : indexSpellings(segments, config.index_document) };
}

/** `/a/b`, `/a/b/` and `/a/b/index.html`; for the root, `/` and `/index.html`. */
function indexSpellings(segments: string[], indexDocument: string): string[] {
  if (segments.length === 0) return ["/", `/${indexDocument}`];
  const dir = `/${segments.join("/")}`;
  return [dir, `${dir}/`, `${dir}/${indexDocument}`];
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
