/**
 * Starts a real dev server process (`npm start`'s scripts/dev.mjs or `deno task dev`) on a free
 * port, pointed at a fake upstream, and waits for its ready line. The process runs in its own
 * process group so that stopping it also stops the wrangler/deno children it started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Ready {
  base: string;
  token: string;
  tenantId: string;
  secret: string;
  /** The demo upstream's URL. */
  upstream: string;
}

export interface UpstreamCall {
  method: string;
  path: string;
  body: string;
}

export interface FakeUpstream {
  url: string;
  calls: UpstreamCall[];
  close(): Promise<void>;
}

export function startFakeUpstream(): Promise<FakeUpstream> {
  const calls: UpstreamCall[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      calls.push({ method: req.method ?? "", path: req.url ?? "", body });
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ job: { id: "job_e2e", state: "PENDING" }, id: "build_e2e" }));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        calls,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface DevProcess {
  ready: Ready;
  output: () => string;
  stop(): Promise<void>;
}

/** Spawns `command args` with the dev variables and resolves on its DVP_DEV_READY line. */
export async function startDev(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<DevProcess> {
  const dir = mkdtempSync(join(tmpdir(), "dvp-e2e-"));
  const child: ChildProcess = spawn(command, args, {
    cwd: join(import.meta.dirname, "..", ".."),
    env: {
      ...process.env,
      DVP_DEV_JSON: "1",
      DVP_DEV_STATE: join(dir, "dev.json"),
      DVP_DEV_PERSIST_TO: join(dir, "wrangler-state"),
      DVP_KV_PATH: join(dir, "kv.sqlite3"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch { /* already gone */ }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = /DVP_DEV_READY (\{.*\})/.exec(output);
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line[1]!) as Ready);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`dev process exited (${code}) before it was ready:\n${output}`));
    });
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { ready, output: () => output, stop };
}

export async function until<T>(check: () => T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
