/**
 * `dvp webhook send` (and `npm run webhook --`) against a local server that verifies Standard
 * Webhooks signatures with the kernel's own verifier and records what arrived.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "../../src/http/standard-webhooks.ts";
import { dvp, REPO, run } from "./cli-helpers.ts";

const TENANT = "11111111-1111-4111-8111-111111111111";
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

interface Delivery {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  verified: boolean;
}

describe("dvp webhook send", { timeout: 120_000 }, () => {
  let server: Server;
  let base: string;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      const verified = await verifyWebhook(SECRET, req.headers as Record<string, string>, raw).then(
        () => true,
        () => false,
      );
      deliveries.push({ path: req.url!, headers: req.headers, body: JSON.parse(raw), verified });
      if (!verified) {
        res.writeHead(401, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ title: "Unauthorized", status: 401 }));
      } else if (req.url!.includes("/filters/")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ content: { ...(JSON.parse(raw).content as object), filtered: true } }));
      } else {
        res.writeHead(202, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: req.headers["webhook-id"], status: "accepted" }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("sends a signed content.published event in the contract's shape and prints the answer", async () => {
    const result = await dvp([
      "webhook",
      "send",
      "--url",
      base,
      "--tenant",
      TENANT,
      "--secret",
      SECRET,
      "--content-id",
      "content-123",
      "--content",
      '{"domain":"example.com","title":"Hi"}',
      "--correlation-id",
      "corr-1",
      "--id",
      "msg_test_1",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`POST ${base}/v1/webhooks/${TENANT}  (content.published, webhook-id msg_test_1)`);
    expect(result.stdout).toContain("HTTP 202 Accepted");
    expect(result.stdout).toContain('"status": "accepted"');
    const delivery = deliveries.at(-1)!;
    expect(delivery.verified).toBe(true);
    expect(delivery.path).toBe(`/v1/webhooks/${TENANT}`);
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(delivery.headers["x-correlation-id"]).toBe("corr-1");
    expect(delivery.headers["webhook-id"]).toBe("msg_test_1");
    expect(delivery.body).toEqual({
      type: "content.published",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { content_id: "content-123", content: { domain: "example.com", title: "Hi" }, metadata: {} },
    });
  });

  it("sends other event types with a sample content and a fresh id each time", async () => {
    const a = await dvp([
      "webhook",
      "send",
      "--url",
      `${base}/`,
      "--tenant",
      TENANT,
      "--secret",
      SECRET,
      "--type",
      "content.deleted",
    ]);
    const b = await dvp([
      "webhook",
      "send",
      "--url",
      base,
      "--tenant",
      TENANT,
      "--secret",
      SECRET,
      "--type",
      "content.updated",
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const [da, db] = deliveries.slice(-2) as [Delivery, Delivery];
    expect(da.body.type).toBe("content.deleted");
    expect(db.body.type).toBe("content.updated");
    expect((da.body.data as { content: { domain: string } }).content.domain).toBe("example.com");
    expect(da.headers["webhook-id"]).not.toBe(db.headers["webhook-id"]);
  });

  it("--filter calls the signed filter endpoint with {content, metadata}", async () => {
    const result = await dvp([
      "webhook",
      "send",
      "--filter",
      "--url",
      base,
      "--tenant",
      TENANT,
      "--secret",
      SECRET,
      "--content",
      '{"title":"Draft"}',
      "--metadata",
      '{"user":"ed"}',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"filtered": true');
    const delivery = deliveries.at(-1)!;
    expect(delivery.path).toBe(`/v1/tenants/${TENANT}/filters/content.before_create`);
    expect(delivery.verified).toBe(true);
    expect(delivery.body).toEqual({ content: { title: "Draft" }, metadata: { user: "ed" } });
  });

  it("exits 1 on a refused delivery and on an unreachable kernel", async () => {
    const other = "whsec_" + Buffer.alloc(32, 7).toString("base64");
    const refused = await dvp(["webhook", "send", "--url", base, "--tenant", TENANT, "--secret", other]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain("HTTP 401 Unauthorized");
    const down = await dvp(["webhook", "send", "--url", "http://127.0.0.1:9", "--tenant", TENANT, "--secret", SECRET]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("is the kernel running at http://127.0.0.1:9?");
  });

  it("refuses bad arguments with a message and exit code 2, sending nothing", async () => {
    const before = deliveries.length;
    const cases: [string[], string][] = [
      [["--tenant", TENANT, "--secret", SECRET], "--url is required"],
      [["--url", base, "--secret", SECRET], "--tenant is required"],
      [["--url", base, "--tenant", TENANT, "--secret", "not-a-secret"], "--secret must be a whsec_"],
      [["--url", "nope", "--tenant", TENANT, "--secret", SECRET], '--url "nope" is not a URL'],
      [["--url", base, "--tenant", TENANT, "--secret", SECRET, "--type", "content.exploded"], "--type must be one of"],
      [["--url", base, "--tenant", TENANT, "--secret", SECRET, "--content", "{oops"], "--content is not valid JSON"],
      [["--url", base, "--tenant", TENANT, "--secret", SECRET, "--content", "[1]"], "--content must be a JSON object"],
      [["--url", base, "--tenant", TENANT, "--secret", SECRET, "--tenat", "x"], "unknown option --tenat"],
    ];
    for (const [args, message] of cases) {
      const result = await dvp(["webhook", "send", ...args]);
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect((await dvp(["webhook", "post"])).stderr).toContain("usage: dvp webhook send");
    expect(deliveries.length).toBe(before);
  });

  it("npm run webhook -- … is the same command", async () => {
    const { stdout } = await run("npm", [
      "run",
      "--silent",
      "webhook",
      "--",
      "--url",
      base,
      "--tenant",
      TENANT,
      "--secret",
      SECRET,
    ], {
      cwd: REPO,
    });
    expect(stdout).toContain("HTTP 202 Accepted");
    expect(deliveries.at(-1)!.verified).toBe(true);
  });
});
