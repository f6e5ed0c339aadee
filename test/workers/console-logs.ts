/**
 * The kernel's log records as workerd's console sink writes them (one object per record), kept
 * out of the test output so a test can assert on the ones it causes on purpose.
 */
import { vi } from "vitest";
import type { LogLevel, LogRecord } from "../../src/logger.ts";

export interface ConsoleLogs {
  /** Records, oldest first; anything else written to the console is kept as a record's `msg`. */
  readonly records: LogRecord[];
  find(query: { level?: LogLevel; msg?: string }): LogRecord[];
  restore(): void;
}

export function captureConsoleLogs(): ConsoleLogs {
  const records: LogRecord[] = [];
  const keep = (level: LogLevel) => (value: unknown, ...rest: unknown[]) => {
    const record = value !== null && typeof value === "object" && "msg" in value
      ? value as LogRecord
      : { level, msg: [value, ...rest].map(String).join(" "), time: "", logger: "console" };
    records.push(record);
  };
  const spies = [
    vi.spyOn(console, "debug").mockImplementation(keep("debug")),
    vi.spyOn(console, "log").mockImplementation(keep("info")),
    vi.spyOn(console, "info").mockImplementation(keep("info")),
    vi.spyOn(console, "warn").mockImplementation(keep("warn")),
    vi.spyOn(console, "error").mockImplementation(keep("error")),
  ];
  return {
    records,
    find: (query) =>
      records.filter((r) =>
        (query.level === undefined || r.level === query.level) && (query.msg === undefined || r.msg === query.msg)
      ),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
