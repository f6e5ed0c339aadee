import { describe, expect, it } from "vitest";
import { checkUrl, hostProblem } from "../../src/net/url-guard.ts";
import { parseIpv4, parseIpv6 } from "../../src/net/ip.ts";

const refused = [
  "http://example.com/",
  "ftp://example.com/",
  "https://127.0.0.1/",
  "https://127.1/",
  "https://0177.0.0.1/",
  "https://0x7f000001/",
  "https://0x7f.0.0.1/",
  "https://2130706433/",
  "https://017700000001/",
  "https://10.0.0.5/",
  "https://172.16.3.4/",
  "https://172.31.255.255/",
  "https://192.168.1.1/",
  "https://100.64.0.1/",
  "https://169.254.169.254/latest/meta-data/",
  "https://0.0.0.0/",
  "https://0/",
  "https://255.255.255.255/",
  "https://224.0.0.1/",
  "https://[::1]/",
  "https://[::]/",
  "https://[0:0:0:0:0:0:0:1]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:7f00:1]/",
  "https://[::ffff:169.254.169.254]/",
  "https://[::ffff:a9fe:a9fe]/",
  "https://[64:ff9b::10.0.0.1]/",
  "https://[2002:7f00:1::]/",
  "https://[::ffff:0:7f00:1]/", // IPv4-translated 127.0.0.1
  "https://[64:ff9b:1::a9fe:a9fe]/", // local-use NAT64 of the metadata address
  "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
  "https://[fe80::1]/",
  "https://[febf::1]/",
  "https://[fc00::1]/",
  "https://[fd12:3456::1]/",
  "https://[ff02::1]/",
  "https://localhost/",
  "https://LOCALHOST./",
  "https://app.localhost/",
  "https://printer.local/",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://db.internal/",
  "https://intranet/",
  "https://user:pass@example.com/",
  "not a url",
];

const accepted = [
  "https://example.com/",
  "https://api.vercel.com/v1/integrations/deploy/prj_1/abc",
  "https://8.8.8.8/",
  "https://172.32.0.1/",
  "https://172.15.255.255/",
  "https://100.128.0.1/",
  "https://[2606:4700::1111]/",
  "https://[::ffff:8.8.8.8]/",
  "https://oauth2.googleapis.com/token",
  "https://my-bucket.s3.eu-west-1.amazonaws.com/key",
];

describe("URL guard", () => {
  for (const url of refused) {
    it(`refuses ${url}`, () => {
      const result = checkUrl(url);
      expect(result.ok).toBe(false);
    });
  }
  for (const url of accepted) {
    it(`accepts ${url}`, () => {
      expect(checkUrl(url)).toMatchObject({ ok: true });
    });
  }

  it("judges hostnames literally too (not only through the URL parser)", () => {
    expect(hostProblem("0x7f000001")).toMatch(/loopback/);
    expect(hostProblem("0177.0.0.1")).toMatch(/loopback/);
    expect(hostProblem("2130706433")).toMatch(/loopback/);
    expect(hostProblem("127.1")).toMatch(/loopback/);
    expect(hostProblem("[::ffff:127.0.0.1]")).toMatch(/loopback/);
    expect(hostProblem("fe80::1%eth0")).toMatch(/link-local/);
    expect(hostProblem("example.com")).toBeNull();
  });

  it("says why, for the error message", () => {
    expect(checkUrl("https://169.254.169.254/")).toEqual({ ok: false, reason: expect.stringMatching(/metadata/) });
    expect(checkUrl("http://example.com/")).toEqual({ ok: false, reason: expect.stringMatching(/https/) });
  });

  it("allowInsecure (DVP_ALLOW_INSECURE_URLS=true) accepts http and loopback, still not other schemes", () => {
    expect(checkUrl("http://127.0.0.1:8080/x", { allowInsecure: true }).ok).toBe(true);
    expect(checkUrl("file:///etc/passwd", { allowInsecure: true }).ok).toBe(false);
  });

  it("parses IPv4 the way URL parsers do", () => {
    expect([...parseIpv4("127.1")!]).toEqual([127, 0, 0, 1]);
    expect([...parseIpv4("0x7f.1")!]).toEqual([127, 0, 0, 1]);
    expect([...parseIpv4("10.1.65535")!]).toEqual([10, 1, 255, 255]);
    expect(parseIpv4("256.1.1.1")).toBeNull();
    expect(parseIpv4("1.2.3.4.5")).toBeNull();
    expect(parseIpv4("08.1.1.1")).toBeNull();
    expect(parseIpv4("example.com")).toBeNull();
  });

  it("parses IPv6 with compression and IPv4 tails", () => {
    expect([...parseIpv6("::ffff:1.2.3.4")!.slice(10)]).toEqual([0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIpv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIpv6("1::2::3")).toBeNull();
  });
});
