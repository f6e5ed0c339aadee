/**
 * The HTTP layer refuses a request one way (docs/architecture.md, "Errors"): a route throws —
 * `refuse(…)` from src/http/problem.ts, a KernelError, or on the dashboard a PageError — and the
 * app's one `onError` answers it (problem+json through STATUS_BY_CODE; the dashboard's error page
 * from the same table). This reads every source file under src/http for any other way of building
 * an error answer, so a fifth way is a decision made here, not an accident.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { expect, it } from "vitest";
import { KernelError } from "../../src/errors.ts";
import { getLogger, LogConfig, type LogRecord } from "../../src/logger.ts";
import { problemFor, refuse } from "../../src/http/problem.ts";
import { Browser, setupDashboard, TENANT_A } from "../browser/ui-setup.ts";

const ROOT = join(import.meta.dirname, "../../src/http");
/** The one module that builds problem+json answers and throws refusals. */
const HELPER = "problem.ts";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** Each way of building an error answer other than the helper's, with what it looks like. */
const OTHER_WAYS: [string, RegExp][] = [
  ["a problem+json answer built outside problem.ts", /\bproblem\(/],
  ["an HTTPException built outside problem.ts", /new HTTPException\b/],
  ["a Response with an error status", /new Response\([^;]*status:\s*[45]\d\d\b/],
  [
    "an error status given to c.json/c.body/c.text/c.html",
    /\bc\.(?:json|body|text|html|newResponse)\([^;]*,\s*[45]\d\d\s*[,)]/,
  ],
  ["a thrown Response", /throw\s+new\s+\w*Error\(\s*(?:problem|new Response|c\.)/],
  ["a status chosen beside STATUS_BY_CODE", /\bcode\s*===?\s*"ERR_[A-Z_]+"\)?\s*\)?\s*return\s*\{\s*status/],
];

/** Answers that are not refusals in this sense, each with why. */
const ALLOWED: { file: RegExp; line: RegExp; why: string }[] = [
  {
    file: /^ui\/routes\/(?:auth|plugins)\.tsx$/,
    line: /return c\.html\( ?<(?:LoginPage|PluginsPage|PluginPage) /,
    why: "a form shown again with what was wrong in it (401 sign-in, 422 config), not an error page",
  },
];

it("src/http builds error answers only through problem.ts's refuse/problemFor (and the dashboard's PageError)", () => {
  const found: string[] = [];
  for (const path of sources(ROOT)) {
    const file = relative(ROOT, path).replaceAll("\\", "/");
    if (file === HELPER) continue;
    // Whole statements, so a call spread over lines is seen whole; comments are not code.
    const text = readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const statement of text.split(/;\s*\n/)) {
      for (const [what, pattern] of OTHER_WAYS) {
        if (!pattern.test(statement)) continue;
        const flat = statement.replace(/\s+/g, " ").trim();
        if (ALLOWED.some((a) => a.file.test(file) && a.line.test(flat))) continue;
        found.push(`${file}: ${what}: ${flat.slice(0, 160)}`);
      }
    }
  }
  expect(found).toEqual([]);
});

it("every onError in src/http answers through the one mapping or the dashboard's page", () => {
  const handlers: string[] = [];
  for (const path of sources(ROOT)) {
    const file = relative(ROOT, path).replaceAll("\\", "/");
    for (const [, rest] of readFileSync(path, "utf8").matchAll(/\.onError\(([^\n]*)/g)) {
      handlers.push(`${file}: ${rest!.includes("problemFor(") ? "problemFor" : rest!.trim()}`);
    }
  }
  expect(handlers.sort()).toEqual([
    "admin.ts: problemFor",
    "app.ts: problemFor",
    "ui/index.tsx: (error, c) => {",
  ]);
  // The dashboard's page takes its status from the API's table.
  const ui = readFileSync(join(ROOT, "ui/index.tsx"), "utf8");
  expect(ui).toMatch(/statusOf\(error\)/);
});

it("a refusal keeps its status, type and headers; a KernelError takes its code's status; a failure is logged, not told", async () => {
  const records: LogRecord[] = [];
  const logger = getLogger("test", new LogConfig({ sink: (record) => void records.push(record) }));
  const app = new Hono();
  app.get("/refused", () => refuse(405, "method-not-allowed", "no", {}, { allow: "GET" }));
  app.get("/conflict", () => {
    throw new KernelError("ERR_CONFLICT", "the tenant changed");
  });
  app.get("/hono", () => {
    throw new HTTPException(418, { message: "teapot" });
  });
  app.get("/failed", () => {
    throw new Error("s3cret detail");
  });
  app.onError((error, c) => problemFor(error, logger, c));

  const refused = await app.request("/refused");
  expect([refused.status, refused.headers.get("allow"), refused.headers.get("content-type")])
    .toEqual([405, "GET", "application/problem+json"]);
  expect(await refused.json()).toEqual({
    type: "https://dvp-kernel.dev/problems/method-not-allowed",
    title: "Method Not Allowed",
    status: 405,
    detail: "no",
  });
  const conflict = await app.request("/conflict");
  expect([conflict.status, conflict.headers.get("retry-after")]).toEqual([409, "1"]);
  expect(await conflict.json()).toMatchObject({
    type: "https://dvp-kernel.dev/problems/conflict",
    detail: "the tenant changed",
  });
  const hono = await app.request("/hono");
  expect([hono.status, (await hono.json()).type]).toEqual([418, "https://dvp-kernel.dev/problems/http-error"]);
  const failed = await app.request("/failed");
  expect(failed.status).toBe(500);
  expect(await failed.text()).not.toContain("s3cret");
  expect(records.map((r) => r.msg)).toEqual(["admin request failed"]);

  // Without our onError (a host app's router), hono answers the refusal as it was built.
  const bare = new Hono();
  bare.get("/", () => refuse(503, "unavailable", "later", {}, { "retry-after": "5" }));
  const answer = await bare.request("/");
  expect([answer.status, answer.headers.get("retry-after"), answer.headers.get("content-type")])
    .toEqual([503, "5", "application/problem+json"]);
});

it("the dashboard's refusals are thrown too, and a KernelError's page has its code's status", async () => {
  const env = await setupDashboard();
  const browser = new Browser(env.app);
  await browser.signIn(await env.token([TENANT_A]));
  const page = async (res: Response) => [res.status, /<h1>([^<]*)<\/h1>/.exec(await res.text())?.[1]];
  expect(await page(await browser.get("/admin/nowhere"))).toEqual([404, "Not found"]);
  // A form without its CSRF token.
  expect(await page(await browser.post(`/admin/tenants/${TENANT_A}/plugins/demo-site/enable`, {})))
    .toEqual([403, "Not allowed"]);
  // ERR_PLUGIN_NOT_FOUND → 404, from STATUS_BY_CODE.
  expect(await page(await browser.get(`/admin/tenants/${TENANT_A}/plugins/no-such-plugin`))).toEqual([
    404,
    "Not found",
  ]);
});
