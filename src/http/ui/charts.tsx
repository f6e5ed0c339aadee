/**
 * Charts as inline SVG rendered on the server: no library, no script, readable without colour
 * (values on the axes, a tooltip <title> per point, a text summary in <desc>, and the numbers in
 * a table under a disclosure for screen readers and copy-paste).
 */
import { formatTime } from "./format.ts";

export interface Point {
  t: string;
  v: number;
}

export interface LineChartProps {
  id: string;
  title: string;
  points: Point[];
  unit?: string;
  /** Fixed axis range (e.g. 0–100 for a percentage); otherwise from the data, including 0. */
  yMin?: number;
  yMax?: number;
  color?: string;
}

const W = 480, H = 200, PAD_L = 52, PAD_R = 14, PAD_T = 24, PAD_B = 34;

export function LineChart(props: LineChartProps) {
  const points = props.points.filter((p) => Number.isFinite(p.v) && Number.isFinite(Date.parse(p.t)));
  const unit = props.unit ? ` ${props.unit}` : "";
  const color = props.color ?? "#1d4ed8";
  const titleId = `${props.id}-title`, descId = `${props.id}-desc`;
  if (!points.length) {
    return (
      <figure class="chart-figure" id={props.id}>
        <figcaption>{props.title}</figcaption>
        <p class="muted">No data yet.</p>
      </figure>
    );
  }
  const times = points.map((p) => Date.parse(p.t));
  const values = points.map((p) => p.v);
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const lo = props.yMin ?? Math.min(0, ...values), hi = props.yMax ?? Math.max(...values);
  const ticks = niceTicks(lo, hi === lo ? lo + 1 : hi, 4);
  const y0 = ticks[0]!, y1 = ticks[ticks.length - 1]!;
  const x = (t: number) => PAD_L + (t1 === t0 ? (W - PAD_L - PAD_R) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD_L - PAD_R));
  const y = (v: number) => PAD_T + (1 - (v - y0) / (y1 - y0)) * (H - PAD_T - PAD_B);
  const path = points.map((p, i) => `${i ? "L" : "M"}${round(x(times[i]!))},${round(y(p.v))}`).join(" ");
  const latest = points[points.length - 1]!;
  const summary = `${points.length} ${points.length === 1 ? "value" : "values"} from ${formatTime(points[0]!.t)} to ${
    formatTime(latest.t)
  }; lowest ${fmt(Math.min(...values))}${unit}, highest ${fmt(Math.max(...values))}${unit}, latest ${
    fmt(latest.v)
  }${unit}.`;
  const xLabels = t1 === t0 ? [t0] : [t0, t0 + (t1 - t0) / 2, t1];
  const showDots = points.length <= 60;
  return (
    <figure class="chart-figure" id={props.id}>
      <figcaption>{props.title}</figcaption>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={titleId}>{props.title}</title>
        <desc id={descId}>{summary}</desc>
        {ticks.map((v) => (
          <g>
            <line x1={PAD_L} x2={W - PAD_R} y1={round(y(v))} y2={round(y(v))} stroke="#e5e7eb" stroke-width="1" />
            <text x={PAD_L - 6} y={round(y(v)) + 4} text-anchor="end">{fmt(v)}</text>
          </g>
        ))}
        <line x1={PAD_L} x2={PAD_L} y1={PAD_T} y2={H - PAD_B} stroke="#6b7280" stroke-width="1" />
        <line x1={PAD_L} x2={W - PAD_R} y1={H - PAD_B} y2={H - PAD_B} stroke="#6b7280" stroke-width="1" />
        {xLabels.map((t, i) => (
          <text
            x={round(x(t))}
            y={H - PAD_B + 18}
            text-anchor={xLabels.length === 1
              ? "middle"
              : i === 0
              ? "start"
              : i === xLabels.length - 1
              ? "end"
              : "middle"}
          >
            {shortTime(t, t1 - t0)}
          </text>
        ))}
        {/* The unit sits above the value axis, clear of the top tick label. */}
        {props.unit ? <text x={PAD_L - 6} y={12} text-anchor="end">{props.unit}</text> : null}
        <path d={path} fill="none" stroke={color} stroke-width="2.5" stroke-linejoin="round" stroke-linecap="round" />
        {points.map((p, i) => (
          <circle cx={round(x(times[i]!))} cy={round(y(p.v))} r={showDots ? 3.5 : 0.01} fill={color}>
            <title>{`${formatTime(p.t)}: ${fmt(p.v)}${unit}`}</title>
          </circle>
        ))}
      </svg>
      <details>
        <summary>
          Data table<span class="visually-hidden">: {props.title}</span>
        </summary>
        <div class="table-wrap" role="region" aria-label={`${props.title} data`} tabindex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col" class="num">Value{unit ? ` (${props.unit})` : ""}</th>
              </tr>
            </thead>
            <tbody>
              {[...points].reverse().map((p) => (
                <tr>
                  <td>{formatTime(p.t)}</td>
                  <td class="num">{fmt(p.v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

export interface StatusCell {
  t: string;
  status: string;
  label?: string;
}

const STATUS_FILL: Record<string, string> = { healthy: "#067647", degraded: "#b7791f", unhealthy: "#b42318" };

/** One square per check result, oldest to newest, with the share of healthy ones said in words. */
export function StatusStrip(props: { id: string; title: string; cells: StatusCell[]; uptime: number | null }) {
  const cells = props.cells;
  const size = 14, gap = 3;
  const width = Math.max(1, cells.length) * (size + gap);
  const uptimeText = props.uptime === null ? "no results yet" : `${fmt(props.uptime * 100)}% healthy`;
  return (
    <figure class="chart-figure" id={props.id}>
      <figcaption>
        {props.title}: <span class="stat">{props.uptime === null ? "—" : `${fmt(props.uptime * 100)}%`}</span>
      </figcaption>
      <svg
        class="strip"
        width={width}
        height={size}
        viewBox={`0 0 ${width} ${size}`}
        role="img"
        aria-label={`${props.title}: ${uptimeText} over the last ${cells.length} results`}
      >
        {cells.map((c, i) => (
          <rect x={i * (size + gap)} y={0} width={size} height={size} rx={2} fill={STATUS_FILL[c.status] ?? "#9ca3af"}>
            <title>{`${formatTime(c.t)}: ${c.status}${c.label ? ` — ${c.label}` : ""}`}</title>
          </rect>
        ))}
      </svg>
    </figure>
  );
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^n. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const out: number[] = [];
  for (let v = start; v < hi + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  return out.length >= 2 ? out : [start, start + step];
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** An axis label with as much precision as the span needs: dates, then minutes, then seconds. */
function shortTime(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  if (spanMs >= 2 * 86_400_000) return iso.slice(0, 10);
  if (spanMs >= 3_600_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, spanMs >= 180_000 ? 16 : 19);
}
