/**
 * Fake Vercel deploy hooks and Netlify build hooks, answering as the services document:
 * Vercel `POST /v1/integrations/deploy/{projectId}/{hookId}` → 201 `{"job":{…}}`, unknown hook
 * 404 `{"error":{"code":"not_found",…}}`; Netlify `POST /build_hooks/{id}` → 200 empty body,
 * unknown hook 404 "Not Found". Both refuse other methods and can be told to fail; a failure is
 * answered only to a request for a known hook, and (as the services) carries no Retry-After unless
 * the test gives one.
 */
import { type FakeServer, sendJson, startFakeServer } from "./server.ts";

export interface FakeHookService extends FakeServer {
  /** Builds started, in order. */
  builds: { hookId: string; query: URLSearchParams; body: string }[];
  /** Status codes to answer the next calls with, instead of success. */
  failNext: { status: number; headers?: Record<string, string> }[];
}

export async function startFakeVercel(validHooks: string[]): Promise<FakeHookService> {
  const builds: FakeHookService["builds"] = [];
  const failNext: FakeHookService["failNext"] = [];
  const server = await startFakeServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const match = /^\/v1\/integrations\/deploy\/(prj_[A-Za-z0-9]+)\/([A-Za-z0-9]+)$/.exec(url.pathname);
    if (req.method !== "POST" && req.method !== "GET") {
      return sendJson(res, 405, { error: { code: "method_not_allowed" } });
    }
    if (!match || !validHooks.includes(`${match[1]}/${match[2]}`)) {
      return sendJson(res, 404, { error: { code: "not_found", message: "Deploy Hook not found" } });
    }
    const failure = failNext.shift();
    if (failure) {
      return sendJson(
        res,
        failure.status,
        { error: { code: "failure", message: `status ${failure.status}` } },
        failure.headers,
      );
    }
    builds.push({ hookId: match[2]!, query: url.searchParams, body: req.body.toString() });
    sendJson(res, 201, { job: { id: `job_${builds.length}`, state: "PENDING", createdAt: Date.now() } });
  });
  return Object.assign(server, { builds, failNext });
}

export async function startFakeNetlify(validHooks: string[]): Promise<FakeHookService> {
  const builds: FakeHookService["builds"] = [];
  const failNext: FakeHookService["failNext"] = [];
  const server = await startFakeServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const match = /^\/build_hooks\/([a-f0-9]{24})$/.exec(url.pathname);
    if (req.method !== "POST") return (res.writeHead(405), res.end("Method Not Allowed"));
    if (!match || !validHooks.includes(match[1]!)) return (res.writeHead(404), res.end("Not Found"));
    const failure = failNext.shift();
    if (failure) return (res.writeHead(failure.status, failure.headers), res.end("error"));
    builds.push({ hookId: match[1]!, query: url.searchParams, body: req.body.toString() });
    res.writeHead(200);
    res.end();
  });
  return Object.assign(server, { builds, failNext });
}
