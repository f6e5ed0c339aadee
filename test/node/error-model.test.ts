/**
 * One error model for what users catch: every error class a package entry exports extends
 * KernelError, identifies itself by a string-literal `code` (as jose's errors do), and that code
 * has its HTTP status in the one table (STATUS_BY_CODE).
 */
import { expect, it } from "vitest";
import * as client from "../../src/entries/client.ts";
import * as runtime from "../../src/entries/runtime.ts";
import * as root from "../../src/index.ts";
import { KernelError } from "../../src/errors.ts";
import { STATUS_BY_CODE } from "../../src/http/problem.ts";

it("every exported error class is a KernelError whose code has a status", () => {
  const classes = Object.entries({ ...root, ...runtime, ...client }).filter(([name, value]) =>
    typeof value === "function" && /Error$/.test(name) && name !== "errorMessage" && name !== "upstreamError"
  ) as [string, new (...args: never[]) => Error][];
  expect(classes.length).toBeGreaterThanOrEqual(10);
  const samples: Record<string, Error> = {
    UnsafeUrlError: new client.UnsafeUrlError("a private address"),
    TlsProbeError: new client.TlsProbeError("timeout", "no answer"),
    DerError: new client.DerError("short"),
    AuthError: new runtime.AuthError("expired"),
    AuthUnavailableError: new runtime.AuthUnavailableError("JWKS down"),
    WebhookVerificationError: new runtime.WebhookVerificationError("ERR_WEBHOOK_SIGNATURE", "no match"),
    PluginError: new root.PluginError("upstream refused"),
  };
  for (const [name, Class] of classes) {
    expect(Class.prototype instanceof KernelError || Class === KernelError, `${name} extends KernelError`).toBe(true);
  }
  for (const [name, error] of Object.entries(samples)) {
    expect(error, name).toBeInstanceOf(KernelError);
    expect(error.name).toBe(name);
    const code = (error as KernelError).code;
    expect(Object.hasOwn(STATUS_BY_CODE, code), `${name}: ${code} has a status`).toBe(true);
  }
  expect(STATUS_BY_CODE[new runtime.AuthError("x").code]).toBe(401);
  expect(STATUS_BY_CODE[new client.UnsafeUrlError("x").code]).toBe(422);
});
