/**
 * Pulls the ```ts blocks out of a Markdown guide so they can be type-checked and run. The info
 * string may carry `file=<path>` (where the block lives, so blocks can import each other exactly
 * as the reader's files would) and `runnable` (executed, not only type-checked). Test files
 * (`*.test.ts`) are written as `*.doc-test.ts`, so the project's own `vitest run` never picks
 * up stale copies; only the docs runner does.
 */
export interface CodeBlock {
  /** 1-based line of the opening fence in the guide. */
  line: number;
  /** Where the block is written, relative to the generated root. */
  path: string;
  /** The path the guide shows (before the .doc-test rename). */
  shownPath: string | null;
  runnable: boolean;
  code: string;
}

const FENCE = /^```(\S*)(.*)$/;

export function extractBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`guide line ${start + 1}: code block is never closed`);
    if (open[1] !== "ts") continue;
    const attrs = open[2]!.trim().split(/\s+/).filter(Boolean);
    const file = attrs.find((a) => a.startsWith("file="))?.slice(5) ?? null;
    const unknown = attrs.filter((a) => a !== "runnable" && !a.startsWith("file="));
    if (unknown.length) throw new Error(`guide line ${start + 1}: unknown code block attribute ${unknown.join(" ")}`);
    if (file && (file.startsWith("/") || file.includes(".."))) {
      throw new Error(`guide line ${start + 1}: file= must be a relative path inside the project`);
    }
    const shown = file ?? `snippets/line-${start + 1}.ts`;
    const path = shown.replace(/\.test\.ts$/, ".doc-test.ts");
    if (seen.has(path)) {
      throw new Error(`guide line ${start + 1}: ${shown} appears twice; give each version its own file`);
    }
    seen.add(path);
    blocks.push({
      line: start + 1,
      path,
      shownPath: file,
      runnable: attrs.includes("runnable"),
      code: body.join("\n") + "\n",
    });
  }
  return blocks;
}
