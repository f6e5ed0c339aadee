/**
 * Adds a plugin to `plugins/index.ts`: an import line after the last import, and `new X()` at
 * the end of the array `bundledPlugins()` returns. Text surgery, kept deliberately narrow: when
 * the file does not have that shape, it says so and leaves the file alone.
 */
export class RegisterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegisterError";
  }
}

export function registerPlugin(source: string, className: string, slug: string): string {
  const importLine = `import { ${className} } from "./${slug}/index.ts";`;
  if (source.includes(`"./${slug}/index.ts"`)) {
    throw new RegisterError(`plugins/index.ts already imports ./${slug}/index.ts`);
  }
  const fn = source.search(/export\s+(?:async\s+)?function\s+bundledPlugins\s*\(/);
  if (fn < 0) throw new RegisterError("plugins/index.ts has no `export function bundledPlugins(`");
  const open = findReturnedArray(source, fn);
  const close = matchingBracket(source, open);
  // Pass the deployment's insecure-URL setting on when bundledPlugins() receives it.
  const param = /function\s+bundledPlugins\s*\(\s*([A-Za-z_$][\w$]*)/.exec(source)?.[1];
  const entry = param && source.includes("allowInsecureUrls")
    ? `new ${className}({ allowInsecureUrls: ${param}.allowInsecureUrls })`
    : `new ${className}()`;
  const withEntry = insertEntry(source, open, close, entry);
  return insertImport(withEntry, importLine);
}

/** Position of `[` in the first `return [` of the function body starting at `from`. */
function findReturnedArray(source: string, from: number): number {
  const body = source.slice(from);
  const match = /return\s*\[/.exec(body);
  if (!match) {
    throw new RegisterError("bundledPlugins() in plugins/index.ts does not `return [ … ]`: add the plugin by hand");
  }
  return from + match.index + match[0].length - 1;
}

/** Index of the `]` closing the `[` at `open`, skipping strings, comments and nested brackets. */
function matchingBracket(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'" || c === "`") {
      i = skipString(source, i, c);
      continue;
    }
    if (c === "/" && source[i + 1] === "/") {
      i = source.indexOf("\n", i);
      if (i < 0) break;
      continue;
    }
    if (c === "/" && source[i + 1] === "*") {
      i = source.indexOf("*/", i + 2) + 1;
      if (i <= 0) break;
      continue;
    }
    if (c === "[" || c === "(" || c === "{") depth++;
    else if (c === "]" || c === ")" || c === "}") {
      depth--;
      if (depth === 0) {
        if (c !== "]") break;
        return i;
      }
    }
  }
  throw new RegisterError("could not find the end of the array bundledPlugins() returns in plugins/index.ts");
}

function skipString(source: string, start: number, quote: string): number {
  for (let i = start + 1; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === quote) return i;
  }
  return source.length;
}

function insertEntry(source: string, open: number, close: number, entry: string): string {
  const inner = source.slice(open + 1, close);
  if (!inner.trim()) return `${source.slice(0, open + 1)}${entry}${source.slice(close)}`;
  if (!inner.includes("\n")) {
    const trimmed = inner.replace(/\s*,?\s*$/, "");
    return `${source.slice(0, open + 1)}${trimmed}, ${entry}${source.slice(close)}`;
  }
  // Multi-line: a new line before the closing bracket's line, indented like the last entry.
  const lastLineStart = source.lastIndexOf("\n", close - 1);
  const beforeClose = source.slice(open + 1, lastLineStart);
  const lines = beforeClose.split("\n").filter((l) => l.trim());
  const indent = /^\s*/.exec(lines[lines.length - 1] ?? "    ")![0];
  const head = source.slice(0, lastLineStart).replace(/\s*$/, "");
  const needsComma = !head.endsWith(",") && !head.endsWith("[");
  return `${head}${needsComma ? "," : ""}\n${indent}${entry},${source.slice(lastLineStart)}`;
}

function insertImport(source: string, line: string): string {
  const imports = [...source.matchAll(/^import\s[^;]*;[^\n]*$/gm)];
  const last = imports[imports.length - 1];
  if (!last) return `${line}\n${source}`;
  const end = last.index! + last[0].length;
  return `${source.slice(0, end)}\n${line}${source.slice(end)}`;
}
