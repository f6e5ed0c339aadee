/**
 * The public surface, entry by entry (deno.json's exports, mirrored by package.json's): every
 * name each entry exports, values and types. A change to this list is a decision: update
 * test/node/__snapshots__/exports.txt with `npx vitest run test/node/exports.test.ts -u` and say
 * why in the commit.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** Names a module exports, read from its text: re-export lists, declarations, `export *` followed. */
function exportedNames(file: string, seen = new Set<string>()): Map<string, "type" | "value"> {
  const names = new Map<string, "type" | "value">();
  if (seen.has(file)) return names;
  seen.add(file);
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "");
  for (const m of text.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const part of m[2]!.split(",").map((p) => p.trim()).filter(Boolean)) {
      const isType = Boolean(m[1]) || part.startsWith("type ");
      const name = part.replace(/^type\s+/, "").split(/\s+as\s+/).pop()!;
      names.set(name, isType ? "type" : "value");
    }
  }
  const declaration =
    /export\s+(?:declare\s+)?(?:abstract\s+)?(async\s+function\*?|function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g;
  for (const m of text.matchAll(declaration)) {
    names.set(m[2]!, m[1] === "interface" || m[1] === "type" ? "type" : "value");
  }
  if (/export\s+default\b/.test(text)) names.set("default", "value");
  for (const m of text.matchAll(/export\s+\*\s+from\s+"([^"]+)"/g)) {
    for (const [name, kind] of exportedNames(join(dirname(file), m[1]!), seen)) names.set(name, kind);
  }
  return names;
}

it("the export list of every entry is the one recorded", async () => {
  const entries = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as Record<string, string>;
  const lines: string[] = [];
  for (const [entry, path] of Object.entries(entries)) {
    const names = [...exportedNames(join(ROOT, path))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    lines.push(`${entry} (${path}): ${names.length} names`);
    for (const [name, kind] of names) lines.push(`  ${kind === "type" ? "type " : ""}${name}`);
  }
  await expect(`${lines.join("\n")}\n`).toMatchFileSnapshot("__snapshots__/exports.txt");
});

it("the values the list names are the values the entries export", async () => {
  const entries = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as Record<string, string>;
  for (const [entry, path] of Object.entries(entries)) {
    if (entry === "./deno" || entry === "./cloudflare") continue; // runtime modules: Deno, workerd
    const module = (await import(join(ROOT, path))) as Record<string, unknown>;
    const values = [...exportedNames(join(ROOT, path))].filter(([, kind]) => kind === "value").map(([n]) => n);
    expect(Object.keys(module).sort(), entry).toEqual(values.sort());
  }
});
