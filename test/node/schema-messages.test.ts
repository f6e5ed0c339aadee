/**
 * Config and secrets errors read the same in the API as in the dashboard: "must …" phrases with
 * JSON pointers, never the validator's own wording, and a pattern is named.
 */
import { describe, expect, it } from "vitest";
import { validate } from "../../src/schema/index.ts";

const SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    site_url: { type: "string", format: "uri" },
    region: { type: "string", enum: ["eu", "us"] },
    slug: { type: "string", pattern: "^[a-z]+$" },
    "a/b": { type: "string", pattern: "^x$" },
    timeout: { type: "integer", minimum: 1, maximum: 300 },
    name: { type: "string", minLength: 2 },
    tags: { type: "array", items: { type: "string" }, maxItems: 1 },
  },
  required: ["site_url"],
} as const;

describe("validation messages", () => {
  it("are said in the API's words, pointer first", () => {
    const { errors } = validate(SCHEMA, {
      site_url: "not a url",
      region: "mars",
      slug: "Nope!",
      "a/b": "y",
      timeout: 999,
      name: "x",
      tags: ["a", 5],
    });
    expect(errors).toEqual(expect.arrayContaining([
      { path: "/site_url", message: "must be a full URL, such as https://example.com" },
      { path: "/region", message: "must be one of eu, us" },
      { path: "/slug", message: "must match the pattern ^[a-z]+$" },
      { path: "/a~1b", message: "must match the pattern ^x$" },
      { path: "/timeout", message: "must be at most 300" },
      { path: "/name", message: "must be at least 2 characters" },
      { path: "/tags", message: "takes at most 1 entry" },
      { path: "/tags/1", message: "must be a string" },
    ]));
    expect(errors).toHaveLength(8);
    expect(validate(SCHEMA, { timeout: 1.5 }).errors).toEqual([
      { path: "/site_url", message: "is required" },
      { path: "/timeout", message: "must be a whole number" },
    ]);
  });
});
