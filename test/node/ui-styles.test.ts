/** The stylesheet's colour pairs meet WCAG AA: 4.5:1 for text, 3:1 for focus rings and chart lines. */
import { describe, expect, it } from "vitest";
import { CSS } from "../../src/http/ui/styles.ts";

/** The custom properties of :root, with #abc spelled #aabbcc. */
const vars = Object.fromEntries(
  [...CSS.matchAll(/--([a-z-]+):#([0-9a-f]{6}|[0-9a-f]{3})\b/gi)].map((m) => [
    m[1]!,
    `#${m[2]!.length === 3 ? [...m[2]!].map((c) => c + c).join("") : m[2]}`,
  ]),
);

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) =>
    c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  );
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe("colour contrast", () => {
  it("text on its backgrounds is at least 4.5:1", () => {
    const pairs: [string, string][] = [
      [vars.fg!, vars.bg!],
      [vars.muted!, vars.bg!],
      [vars.muted!, vars.panel!],
      [vars.accent!, vars.bg!],
      [vars["accent-fg"]!, vars.accent!],
      [vars.ok!, vars["ok-bg"]!],
      [vars.warn!, vars["warn-bg"]!],
      [vars.bad!, vars["bad-bg"]!],
      [vars.bad!, vars.bg!],
      [vars.fg!, vars["ok-bg"]!],
      ["#ffffff", "#0f172a"], // header
      ["#374151", "#ffffff"], // chart labels
    ];
    for (const [fg, bg] of pairs) expect(contrast(fg, bg), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
  });

  it("focus rings and chart marks stand out at 3:1 or more", () => {
    expect(contrast(vars.focus!, vars.bg!)).toBeGreaterThanOrEqual(3);
    expect(contrast(vars["focus-dark"]!, "#0f172a")).toBeGreaterThanOrEqual(3);
    for (const line of ["#1d4ed8", "#7e22ce", "#067647", "#b42318", "#8a5a00"]) {
      expect(contrast(line, "#ffffff"), line).toBeGreaterThanOrEqual(3);
    }
  });
});
