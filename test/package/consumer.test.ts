/**
 * @dvp/kernel as its users get it: `npm pack`, the tarball installed into a scratch project
 * outside the repository (test/package/consumer/: a Worker that mounts the kernel in its own
 * Hono app with its own plugin), then type-checked against Cloudflare's types and `wrangler
 * types`' Env, bundled and served by wrangler, served by Deno from node_modules, imported by
 * plain Node, and its CLI run from the install. The repository's wrangler, deno and tsc are
 * used, not installed again.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAdminToken } from "../../src/http/auth.ts";
import { freePort } from "../e2e/dev-process.ts";

const exec = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..");
const BIN = (name: string) => join(REPO, "node_modules", ".bin", name);
const MASTER_KEYS = `main:${Buffer.alloc(32, 7).toString("base64")}`;
const JWT_SECRET = "consumer-test-secret-of-32-characters!";

let scratch: string;
let tarball: string;

async function sh(file: string, args: string[], cwd = scratch, env: Record<string, string> = {}) {
  try {
    return await exec(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "dvp-consumer-"));
  await sh("npm", ["pack", "--silent", "--pack-destination", scratch], REPO);
  tarball = readdirSync(scratch).find((name) => name.endsWith(".tgz"))!;
  cpSync(join(import.meta.dirname, "consumer"), scratch, { recursive: true });
  const hono = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).dependencies.hono;
  writeFileSync(
    join(scratch, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: { "@dvp/kernel": `file:./${tarball}`, hono },
    }),
  );
  writeFileSync(join(scratch, ".dev.vars"), `DVP_MASTER_KEYS=${MASTER_KEYS}\nDVP_ADMIN_JWT_SECRET=${JWT_SECRET}\n`);
  await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
  // What a Worker project has beside the kernel: Cloudflare's types, and esbuild (wrangler brings it).
  mkdirSync(join(scratch, "node_modules", "@cloudflare"), { recursive: true });
  symlinkSync(
    join(REPO, "node_modules", "@cloudflare", "workers-types"),
    join(scratch, "node_modules", "@cloudflare", "workers-types"),
  );
  symlinkSync(join(REPO, "node_modules", "esbuild"), join(scratch, "node_modules", "esbuild"));
  await sh(BIN("wrangler"), ["types", "--include-runtime=false"]);
}, 240_000);

/** Servers still running (a test that timed out never reached its own stop). */
const running = new Set<Server>();

afterAll(async () => {
  await Promise.all([...running].map((server) => server.stop()));
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("holds what users need and nothing else", async () => {
    const { stdout } = await sh("tar", ["-tzf", tarball]);
    const files = stdout.trim().split("\n").map((f) => f.replace(/^package\//, ""));
    expect(files).toContain("LICENSE");
    expect(files).toContain("dist/src/index.js");
    expect(files).toContain("dist/src/index.d.ts");
    expect(files).toContain("docs/plugin-guide.md"); // the CLI's help points to it, and it links the other docs
    const stray = files.filter((f) => !/^(dist\/|bin\/|LICENSE$|README\.md$|package\.json$|docs\/[\w-]+\.md$)/.test(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("passes publint", async () => {
    const unpacked = join(scratch, "unpacked");
    mkdirSync(unpacked);
    await sh("tar", ["-xzf", tarball, "-C", unpacked]);
    const { stdout } = await sh(BIN("publint"), ["--pack", "false", "--strict", join(unpacked, "package")]);
    expect(stdout).toContain("All good!");
  });

  it("(a) type-checks, strict, against Cloudflare's types and wrangler's generated Env", async () => {
    await sh(BIN("tsc"), ["-p", "tsconfig.json"]);
  });

  it("(d) plain Node imports every entry but the runtime adapters", async () => {
    const script = `
      const root = await import("@dvp/kernel");
      const runtime = await import("@dvp/kernel/runtime");
      const drivers = await import("@dvp/kernel/drivers");
      const client = await import("@dvp/kernel/client");
      const testing = await import("@dvp/kernel/testing");
      const plugins = await import("@dvp/kernel/plugins");
      console.log(JSON.stringify({
        plugin: typeof root.Plugin, runtime: typeof runtime.createRuntime, drivers: typeof drivers.createMemoryDriver,
        client: typeof client.createHttpClient, testing: typeof testing.createTestKernel,
        plugins: plugins.bundledPlugins().length,
      }));`;
    const { stdout } = await sh(process.execPath, ["--input-type=module", "-e", script]);
    expect(JSON.parse(stdout)).toEqual({
      plugin: "function",
      runtime: "function",
      drivers: "function",
      client: "function",
      testing: "function",
      plugins: 6,
    });
  });

  it("(e) npx dvp new-plugin, from the installed package, makes a plugin that checks and type-checks", async () => {
    const made = await sh("npx", [
      "--no-install",
      "dvp",
      "new-plugin",
      "acme-notifier",
      "--hooks",
      "content,tasks",
      "--description",
      "Tells Acme about published content",
      "--author",
      "Consumer",
    ]);
    expect(made.stdout).toContain("Created plugin acme-notifier");
    expect(readFileSync(join(scratch, "plugins", "acme-notifier", "plugin.ts"), "utf8")).toContain(
      `from "@dvp/kernel"`,
    );
    const checked = await sh("npx", ["--no-install", "dvp", "check", "acme-notifier"]);
    expect(checked.stdout).toContain("ok acme-notifier 0.1.0");
    await sh(BIN("tsc"), ["-p", "tsconfig.json"]);
  });
});

describe("the README", () => {
  it("its Worker and embedding examples compile in the project (after new-plugin made plugins/index.ts)", async () => {
    const readme = readFileSync(join(REPO, "README.md"), "utf8");
    const blocks = [...readme.matchAll(/```typescript file=(\S+)\n([\s\S]*?)```/g)];
    expect(blocks.map((b) => b[1])).toEqual(["src/readme-worker.ts", "src/readme-embed.ts"]);
    for (const [, file, code] of blocks) writeFileSync(join(scratch, file!), code!);
    await sh(BIN("tsc"), ["-p", "tsconfig.json"]);
  });
});

describe("the JSR package", () => {
  it("mirrors the npm exports: the same entries, TypeScript sources for JSR, built files for npm", () => {
    const npm = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).exports as Record<
      string,
      { types: string; import: string }
    >;
    const jsr = JSON.parse(readFileSync(join(REPO, "deno.json"), "utf8")).exports as Record<string, string>;
    expect(Object.keys(jsr)).toEqual(Object.keys(npm));
    for (const [entry, source] of Object.entries(jsr)) {
      const built = source.replace(/^\.\//, "./dist/").replace(/\.tsx?$/, "");
      expect(npm[entry], entry).toEqual({ types: `${built}.d.ts`, import: `${built}.js` });
    }
  });

  it("publishes cleanly (deno publish --dry-run: no slow types, a license, no tests or tooling)", async () => {
    const { stdout, stderr } = await sh(BIN("deno"), ["publish", "--dry-run", "--allow-dirty"], REPO);
    const output = stdout + stderr;
    expect(output).toContain("Dry run complete");
    expect(output).not.toMatch(/(error|warning)\[/);
    expect(output).not.toMatch(/file:\/\/\/\S+\/(test|scripts|bin)\//);
    expect(output).toMatch(/file:\/\/\/\S+\/LICENSE/);
  }, 120_000);
});

describe("(b) wrangler", () => {
  it("bundles the consumer's Worker (wrangler deploy --dry-run)", async () => {
    const out = join(scratch, "dry-run");
    await sh(BIN("wrangler"), ["deploy", "--dry-run", "--outdir", out]);
    const bundle = readFileSync(join(out, "worker.js"), "utf8");
    expect(bundle).not.toContain("React.createElement");
  });

  it("serves it: health, a signed webhook to the consumer's plugin, the dashboard under /cms", async () => {
    const port = await freePort();
    const server = await serve(
      BIN("wrangler"),
      ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", join(scratch, "wrangler-state")],
      /Ready on/,
    );
    try {
      await exercise(`http://127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  }, 300_000);
});

describe("(c) Deno, through node_modules", () => {
  it("serves the same app", async () => {
    const port = await freePort();
    const server = await serve(BIN("deno"), ["run", "-A", "src/deno-server.ts", String(port)], /ready/, {
      DVP_MASTER_KEYS: MASTER_KEYS,
      DVP_ADMIN_JWT_SECRET: JWT_SECRET,
    });
    try {
      await exercise(`http://127.0.0.1:${port}`);
    } finally {
      await server.stop();
    }
  }, 120_000);
});

/** What a user of the mounted kernel does: health, a tenant and its plugin, a webhook, the sign-in page. */
async function exercise(base: string): Promise<void> {
  expect(await (await fetch(`${base}/`)).text()).toBe("my site");
  const health = await fetch(`${base}/cms/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: "ok" });

  const token = await signAdminToken(JWT_SECRET, { tenants: "*", subject: "consumer" });
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${base}/cms/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const tenant = crypto.randomUUID();
  const created = await admin("PUT", `/tenants/${tenant}`, { slug: "acme", plan: "pro" });
  expect(created.status).toBe(201);
  const { webhook_secret: secret } = (await created.json()) as { webhook_secret: string };
  expect((await admin("PUT", `/tenants/${tenant}/plugins/echo/config`, { label: "hi" })).status).toBe(200);
  expect((await admin("POST", `/tenants/${tenant}/plugins/echo/enable`)).status).toBe(200);

  const body = JSON.stringify({
    type: "content.published",
    timestamp: new Date().toISOString(),
    data: { content_id: "post-1", content: { title: "Hello" }, metadata: {} },
  });
  const id = `msg_${crypto.randomUUID()}`;
  const now = new Date();
  const accepted = await fetch(`${base}/cms/v1/webhooks/${tenant}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": new Webhook(secret).sign(id, now, body),
    },
    body,
  });
  expect(accepted.status).toBe(202);
  let seen: string[] = [];
  for (let i = 0; i < 200 && !seen.includes(`${tenant}:post-1:hi`); i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    seen = (await (await fetch(`${base}/seen`)).json()) as string[];
  }
  expect(seen).toContain(`${tenant}:post-1:hi`);

  const dashboard = await fetch(`${base}/cms/admin/`, { redirect: "manual" });
  expect(dashboard.status).toBe(303);
  const login = dashboard.headers.get("location")!;
  expect(login).toMatch(/^\/cms\/admin\/login\?/);
  const page = await fetch(`${base}${login}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain(`action="/cms/admin/login"`);
}

interface Server {
  stop(): Promise<void>;
}

/** Starts a server in its own process group and resolves when its output matches `ready`. */
async function serve(file: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Server> {
  const child: ChildProcess = spawn(file, args, {
    cwd: scratch,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const server: Server = { stop: () => stop() };
  running.add(server);
  const stop = async () => {
    running.delete(server);
    if (child.exitCode !== null || !child.pid) return;
    const exited = new Promise((r) => child.once("exit", r));
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, name);
      } catch { /* the group is gone already */ }
    };
    signal("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    signal("SIGKILL");
  };
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${file} exited (${code}) before it was ready:\n${output}`)));
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return server;
}
