/** registerPlugin: the text edit `dvp new-plugin` makes to plugins/index.ts, on the file shapes it meets. */
import { describe, expect, it } from "vitest";
import { RegisterError, registerPlugin } from "../../src/cli/register.ts";

const HEADER = `/** The bundled plugins. */
import type { Plugin } from "../src/index.ts";
import type { TcpConnect } from "../src/net/tcp.ts";
`;

describe("registerPlugin", () => {
  it("fills an empty list and adds the import after the last one", () => {
    const source = `${HEADER}
export function bundledPlugins(_options: { connect?: TcpConnect } = {}): Plugin[] {
  return [];
}
`;
    expect(registerPlugin(source, "SeoAuditPlugin", "seo-audit")).toBe(`/** The bundled plugins. */
import type { Plugin } from "../src/index.ts";
import type { TcpConnect } from "../src/net/tcp.ts";
import { SeoAuditPlugin } from "./seo-audit/index.ts";

export function bundledPlugins(_options: { connect?: TcpConnect } = {}): Plugin[] {
  return [new SeoAuditPlugin()];
}
`);
  });

  it("appends to a multi-line list with nested calls, comments and strings containing brackets", () => {
    const source = `${HEADER}import { A } from "./a/index.ts";
import {
  B,
  type BOptions,
} from "./b/index.ts";

export function bundledPlugins(options: BundledPluginOptions = {}): Plugin[] {
  const b: BOptions = { label: "x]" }; // ]
  return [
    new A({ allowInsecureUrls: options.allowInsecureUrls }),
    /* [ */ new B(options.connect ? { connect: options.connect } : {}, b)
  ];
}
`;
    const out = registerPlugin(source, "CPlugin", "c");
    expect(out).toContain(`} from "./b/index.ts";\nimport { CPlugin } from "./c/index.ts";\n`);
    expect(out).toContain(
      `    /* [ */ new B(options.connect ? { connect: options.connect } : {}, b),\n` +
        `    new CPlugin({ allowInsecureUrls: options.allowInsecureUrls }),\n  ];\n}`,
    );
  });

  it("appends to a one-line list", () => {
    const source = `${HEADER}import { A } from "./a/index.ts";
export function bundledPlugins(): Plugin[] {
  return [new A(), ];
}
`;
    expect(registerPlugin(source, "BPlugin", "b")).toContain("return [new A(), new BPlugin()];");
  });

  it("refuses files it cannot edit safely, and duplicates", () => {
    expect(() => registerPlugin("export const x = 1;\n", "APlugin", "a")).toThrow(RegisterError);
    expect(() =>
      registerPlugin(`export function bundledPlugins() {\n  const list = [];\n  return list;\n}\n`, "APlugin", "a")
    ).toThrow(/does not `return \[ … \]`/);
    expect(() =>
      registerPlugin(
        `import { APlugin } from "./a/index.ts";\nexport function bundledPlugins() { return []; }`,
        "APlugin",
        "a",
      )
    ).toThrow(/already imports/);
  });
});

describe("registerPlugin on the repo's own plugins/index.ts", () => {
  it("adds the import and the entry to the file as it is now", async () => {
    const { readFile } = await import("node:fs/promises");
    const source = await readFile(new URL("../../plugins/index.ts", import.meta.url), "utf8");
    const out = registerPlugin(source, "ZzzProbePlugin", "zzz-probe");
    expect(out).toMatch(/^import \{ ZzzProbePlugin \} from "\.\/zzz-probe\/index\.ts";$/m);
    expect(out).toMatch(/new ZzzProbePlugin\((\{ allowInsecureUrls: \w+\.allowInsecureUrls \})?\)/);
    // Everything else is kept: removing the two additions gives the original back.
    const removed = out
      .replace(/\nimport \{ ZzzProbePlugin \} from "\.\/zzz-probe\/index\.ts";/, "")
      .replace(/,?\s*new ZzzProbePlugin\([^)]*\),?/, "");
    expect(removed.replace(/\s/g, "")).toBe(source.replace(/\s/g, "").replace(/,\]/g, "]"));
  });
});
