/**
 * Vite aliases for the package's own names (`@dvp/kernel`, `@dvp/kernel/client`, …), read from
 * deno.json's exports, so tests run the sources the reference plugins import through them.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../", import.meta.url);
const exports = JSON.parse(readFileSync(new URL("deno.json", root), "utf8")).exports as Record<string, string>;

export const kernelAliases: { find: RegExp; replacement: string }[] = Object.entries(exports).map(([entry, path]) => ({
  find: new RegExp(`^@dvp/kernel${entry.slice(1).replace(/[/]/g, "\\/")}$`),
  replacement: fileURLToPath(new URL(path, root)),
}));
