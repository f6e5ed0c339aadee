/**
 * A trace's spans as a waterfall: one row per span (accept, hook, outbound call), indented by
 * depth, with a bar placed on a common time axis. The bars are SVG rectangles positioned by
 * attributes, not inline styles, so the page's style-src (hashes only) allows them.
 */
import type { TraceSpan } from "../../trace/span.ts";
import { formatDuration } from "./format.ts";
import { TableWrap } from "./layout.tsx";

const COLORS: Record<TraceSpan["kind"], string> = { accept: "#6b7280", hook: "#2563eb", http: "#059669" };

/** Each span with its depth below the others of the list (parents before children, start order kept). */
function ordered(spans: readonly TraceSpan[]): { span: TraceSpan; depth: number }[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, TraceSpan[]>();
  const roots: TraceSpan[] = [];
  for (const span of [...spans].sort((a, b) => a.startMs - b.startMs)) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      let list = children.get(span.parentSpanId);
      if (!list) children.set(span.parentSpanId, list = []);
      list.push(span);
    } else roots.push(span);
  }
  const out: { span: TraceSpan; depth: number }[] = [];
  const visit = (span: TraceSpan, depth: number) => {
    out.push({ span, depth });
    for (const child of children.get(span.spanId) ?? []) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return out;
}

export function Waterfall(props: { spans: readonly TraceSpan[]; label: string }) {
  const rows = ordered(props.spans);
  if (!rows.length) return <p class="muted">No timings were recorded for this run.</p>;
  const start = Math.min(...rows.map((r) => r.span.startMs));
  const end = Math.max(...rows.map((r) => r.span.startMs + r.span.durationMs));
  const total = Math.max(end - start, 1);
  const pct = (ms: number) => Math.round(ms / total * 10_000) / 100;
  return (
    <TableWrap label={props.label}>
      <table class="waterfall">
        <thead>
          <tr>
            <th scope="col">Span</th>
            <th scope="col" class="num">Starts at</th>
            <th scope="col" class="num">Duration</th>
            <th scope="col">Timeline ({formatDuration(total)})</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ span, depth }) => {
            const x = pct(span.startMs - start);
            const width = Math.max(pct(span.durationMs), 0.5);
            return (
              <tr data-span={span.spanId}>
                <td>
                  <span class="muted">{"· ".repeat(depth)}{span.kind}</span> <code>{span.name}</code>
                  {span.status !== undefined ? <span class="muted">{` → ${span.status || "no response"}`}</span> : null}
                  {span.error ? <div class="error-text">{span.error}</div> : null}
                </td>
                <td class="num">+{formatDuration(span.startMs - start)}</td>
                <td class="num">{formatDuration(span.durationMs)}</td>
                <td>
                  <svg
                    width="100%"
                    height="14"
                    role="img"
                    aria-label={`${span.kind} ${span.name}: ${span.durationMs} ms`}
                  >
                    <rect
                      x={`${Math.min(x, 99.5)}%`}
                      y="2"
                      width={`${Math.min(width, 100 - Math.min(x, 99.5))}%`}
                      height="10"
                      rx="2"
                      fill={span.error ? "#dc2626" : COLORS[span.kind]}
                    />
                  </svg>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}
