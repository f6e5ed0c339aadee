/**
 * A schedule in words, for the task list and the dashboard: "every day at 06:00 (UTC)",
 * "every 5 minutes", "every Monday at 09:30 (Europe/Berlin)". Common shapes get a sentence;
 * anything else is shown as the expression itself, with its zone.
 */
import type { TaskSchedule } from "../hooks.ts";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export function scheduleText(schedule: TaskSchedule): string {
  if (schedule.intervalSeconds !== undefined) return intervalText(schedule.intervalSeconds);
  const zone = schedule.timezone ?? "UTC";
  const expr = (schedule.cronExpression ?? "").trim();
  return `${cronText(NICKNAMES[expr.toLowerCase()] ?? expr) ?? `cron "${expr}"`} (${zone})`;
}

function intervalText(seconds: number): string {
  for (const [unit, size] of [["day", 86_400], ["hour", 3_600], ["minute", 60]] as const) {
    if (seconds % size === 0) return every(seconds / size, unit);
  }
  return every(seconds, "second");
}

function every(n: number, unit: string): string {
  return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
}

const NUM = /^\d+$/;
const pad = (n: string) => n.padStart(2, "0");

function cronText(expr: string): string | null {
  const fields = expr.split(/\s+/);
  if (fields.length !== 5) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const anyDay = dom === "*" && month === "*";
  if (month !== "*") return null;
  if (hour === "*" && dom === "*" && dow === "*") {
    if (minute === "*") return "every minute";
    const step = /^\*\/(\d+)$/.exec(minute);
    if (step) return every(Number(step[1]), "minute");
    if (NUM.test(minute)) return `every hour at minute ${Number(minute)}`;
    return null;
  }
  if (!NUM.test(minute)) return null;
  const hourStep = /^\*\/(\d+)$/.exec(hour);
  if (hourStep && anyDay && dow === "*") return `${every(Number(hourStep[1]), "hour")} at minute ${Number(minute)}`;
  if (!/^\d+(,\d+)*$/.test(hour)) return null;
  const at = hour.split(",").map((h) => `${pad(h)}:${pad(minute)}`).join(", ");
  if (anyDay && dow === "*") return `every day at ${at}`;
  if (dom === "*" && dow !== "*") {
    const days = dayText(dow);
    return days ? `every ${days} at ${at}` : null;
  }
  if (NUM.test(dom) && dow === "*") return `on day ${Number(dom)} of every month at ${at}`;
  return null;
}

function dayText(dow: string): string | null {
  const name = (d: string) => (NUM.test(d) ? DAYS[Number(d) % 7] : undefined);
  const range = /^(\d)-(\d)$/.exec(dow);
  if (range) {
    const [from, to] = [name(range[1]!), name(range[2]!)];
    return from && to ? `${from} to ${to}` : null;
  }
  const list = dow.split(",").map(name);
  if (list.some((d) => d === undefined)) return null;
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
}
