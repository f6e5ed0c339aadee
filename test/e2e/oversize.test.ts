/**
 * Oversized webhook bodies under the real `wrangler dev` (npm start): six 2 MiB posts, one after
 * another on one keep-alive connection, each get their own 413. An oversized body left unread
 * used to break the next request on the connection (the dev proxy answered it 503 "Your worker
 * restarted mid-request"), so every other post failed.
 */
import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevProcess, freePort, startDev } from "./dev-process.ts";

const SIZE = 2 * 1024 * 1024;

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

function post(
  agent: Agent,
  sockets: Set<unknown>,
  base: string,
  path: string,
  body: Buffer,
  chunked: boolean,
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({
      agent,
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: "POST",
      headers: {
        "content-type": "application/json",
        // Well-formed and current, so the body is read (and found too large) before the signature is checked.
        "webhook-id": `msg_oversize_${Date.now()}`,
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": `v1,${Buffer.alloc(32).toString("base64")}`,
        ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(body.length) }),
      },
      timeout: 30_000,
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], body: text }));
      res.on("error", reject);
    });
    req.on("socket", (socket) => sockets.add(socket));
    req.on("timeout", () => req.destroy(new Error("timed out")));
    // A server that answers before reading everything may close the socket mid-upload: that is
    // its right, and the answer already received is what counts.
    req.on(
      "error",
      (error: NodeJS.ErrnoException) => resolve({ status: 0, type: undefined, body: error.code ?? error.message }),
    );
    if (chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

describe("oversized bodies under wrangler dev", () => {
  let dev: DevProcess;

  beforeAll(async () => {
    dev = await startDev(process.execPath, ["scripts/dev.mjs"], {
      PORT: String(await freePort()),
      DVP_LOG_LEVEL: "error",
    });
  }, 150_000);

  afterAll(async () => {
    await dev?.stop();
  });

  for (const chunked of [false, true]) {
    it(`answers 413 to each of six 2 MiB posts on one keep-alive connection (${chunked ? "chunked" : "content-length"})`, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const body = Buffer.alloc(SIZE, 0x20);
      const statuses: number[] = [];
      const sockets = new Set<unknown>();
      try {
        for (let i = 0; i < 6; i++) {
          const answer = await post(
            agent,
            sockets,
            dev.ready.base,
            `/v1/webhooks/${dev.ready.tenantId}`,
            body,
            chunked,
          );
          statuses.push(answer.status);
          if (answer.status === 413) expect(answer.type).toBe("application/problem+json");
        }
      } finally {
        agent.destroy();
      }
      expect(statuses).toEqual([413, 413, 413, 413, 413, 413]);
      expect(sockets.size).toBe(1); // the connection stayed usable: no request needed a new one
    });
  }
});
