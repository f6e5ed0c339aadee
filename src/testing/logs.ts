/**
 * Captured logs: every record the kernel and its plugins write, kept in memory instead of
 * printed, with small finders so a test can assert "the plugin warned about X".
 */
import type { LogLevel, LogRecord, LogSink } from "../logger.ts";

export interface LogQuery {
  level?: LogLevel;
  plugin?: string;
  /** A substring of the message, or a pattern it must match. */
  msg?: string | RegExp;
  tenantId?: string;
}

export interface CapturedLogs {
  /** Parsed records, oldest first (secrets already redacted, as a real sink would get them). */
  readonly records: LogRecord[];
  /** The JSON lines exactly as they would have been printed. */
  readonly lines: string[];
  /** The sink to hand to a kernel (`log: { sink }`). */
  readonly sink: LogSink;
  find(query?: LogQuery): LogRecord[];
  byLevel(level: LogLevel): LogRecord[];
  byPlugin(plugin: string): LogRecord[];
  errors(): LogRecord[];
  warnings(): LogRecord[];
  /** Every line joined: handy for "this secret never appears anywhere" assertions. */
  text(): string;
  clear(): void;
}

export function captureLogs(): CapturedLogs {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  const find = (query: LogQuery = {}) =>
    records.filter((r) =>
      (query.level === undefined || r.level === query.level) &&
      (query.plugin === undefined || r.plugin === query.plugin) &&
      (query.tenantId === undefined || r.tenant_id === query.tenantId) &&
      (query.msg === undefined ||
        (typeof query.msg === "string" ? r.msg.includes(query.msg) : query.msg.test(r.msg)))
    );
  return {
    records,
    lines,
    sink: (record, line) => {
      records.push(record);
      lines.push(line);
    },
    find,
    byLevel: (level) => find({ level }),
    byPlugin: (plugin) => find({ plugin }),
    errors: () => find({ level: "error" }),
    warnings: () => find({ level: "warn" }),
    text: () => lines.join("\n"),
    clear() {
      records.length = 0;
      lines.length = 0;
    },
  };
}
