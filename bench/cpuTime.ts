/**
 * CPU time for benchmarks that run work outside the caller's threads: a process tree's user and
 * system time from /proc (its exited children included, as the kernel adds them to their parent),
 * e.g. a PostgreSQL server with its backends. This process's own threads (PGlite's worker among
 * them) are `process.cpuUsage()`.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { children } from "./procChildren";

let ticksPerSecond: number | null = null;

/** USER_HZ, the unit of /proc's CPU times (100 on Linux almost always; asked once). */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    const answer = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim());
    ticksPerSecond = Number.isInteger(answer) && answer > 0 ? answer : 100;
  }
  return ticksPerSecond;
}

/** Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // gone meanwhile
  }
}

/** The parent's pid of a running process, or null. */
export function parentPid(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : null;
}

/**
 * Seconds of CPU (user + system) that the process `pid` and every descendant have used so far,
 * the exited ones included (utime, stime, cutime and cstime: fields 14 to 17 of /proc/PID/stat).
 */
export function processTreeCpuSeconds(pid: number): number {
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    const fields = statFields(next);
    if (!fields) continue;
    // After "pid (comm) ", field 3 (state) is index 0, so fields 14..17 are indexes 11..14.
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    pending.push(...children(next));
  }
  return ticks / clockTicks();
}

/** This process's CPU seconds so far (every thread). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
