/** Names derived from a plugin's slug: `seo-audit` → `SeoAuditPlugin`, `SeoAuditConfig`, `SeoAuditClient`, "Seo Audit". */
import { PLUGIN_NAME } from "../registry.ts";

export interface PluginNames {
  slug: string;
  /** "Seo Audit" */
  title: string;
  /** "SeoAuditPlugin" (no doubled suffix for `my-plugin` → "MyPlugin"). */
  className: string;
  configType: string;
  clientClass: string;
}

/** Why `slug` cannot name a plugin, or null when it can. */
export function slugProblem(slug: string): string | null {
  if (!PLUGIN_NAME.test(slug) || slug.length > 64) {
    return `"${slug}" is not a valid plugin name: use a lowercase slug (a-z, 0-9, single dashes, starting with a letter, at most 64 characters), e.g. "seo-audit"`;
  }
  return null;
}

export function pluginNames(slug: string): PluginNames {
  const words = slug.split("-");
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  const base = pascal.endsWith("Plugin") && pascal !== "Plugin" ? pascal.slice(0, -"Plugin".length) : pascal;
  return {
    slug,
    title: words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" "),
    className: `${base}Plugin`,
    configType: `${base}Config`,
    clientClass: `${base}Client`,
  };
}

/** What `new-plugin` writes when no --description / --author is given; `dvp check` flags them until replaced. */
export const PLACEHOLDER_DESCRIPTION =
  "Tells an external API about content events (scaffolded by dvp new-plugin: describe what it does here)";
export const PLACEHOLDER_AUTHOR = "Your Name";
