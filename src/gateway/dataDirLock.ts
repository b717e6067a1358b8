import fs from "node:fs";
import path from "node:path";
import { BaseError } from "../errors/base";

/**
 * One gateway per data dir. The running gateway holds `<dataDir>/gateway.lock`, created exclusively
 * (`wx`) before anything else starts and removed when it stops; it holds the holder's PID, ports
 * and start time, so a second start can say who runs there. A second start refuses before it
 * starts, stops or writes anything: it would otherwise stop the first one's chain node (taken for
 * one a crashed gateway left running) and share its database. A lock whose PID is no longer
 * running (the holder was killed) is stale and taken over.
 */
export const LOCK_FILE = "gateway.lock";

export type DataDirLockHolder = {
  pid: number;
  /** What holds it: `start` (a gateway) or another `firstmile` command (`keys rotate`). */
  command: string;
  httpPort: number | null;
  chainPort: number | null;
  startedAt: string;
};

export type DataDirLock = { file: string; holder: DataDirLockHolder; release(): void };

/** Another gateway runs on this data dir. Exit code 3 from `firstmile start`. */
export class DataDirLockedError extends BaseError {
  override name = "DataDirLockedError";
  readonly exitCode = 3;
  constructor(
    readonly dataDir: string,
    readonly holder: DataDirLockHolder,
  ) {
    super(`The data dir ${dataDir} is in use by ${holder.command === "start" ? "a running gateway" : `a running firstmile ${holder.command}`}: PID ${holder.pid}, ${describePorts(holder)}, started ${holder.startedAt}`, {
      metaMessages: [
        `Stop it first (Ctrl-C in its terminal, or kill -TERM ${holder.pid}), or start this one with another FIRSTMILE_DATA_DIR.`,
        "Nothing was started, stopped or written.",
      ],
    });
  }
}

/**
 * Takes the data dir's lock for this process, or throws without touching anything.
 *
 * @throws {DataDirLockedError} a live process holds it.
 */
export function lockDataDir(dataDir: string, user: { command: string; httpPort: number | null; chainPort: number | null }): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const holder: DataDirLockHolder = { pid: process.pid, ...user, startedAt: new Date().toISOString() };
  // Twice at most: a stale lock is removed once, then the exclusive create decides between racers.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(holder)}\n`, { flag: "wx", mode: 0o644 });
      return { file, holder, release: () => releaseLock(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const current = readHolder(file);
    if (current && current.pid !== process.pid && isRunning(current.pid)) throw new DataDirLockedError(dataDir, current);
    // Stale: its process is gone (killed, or the machine restarted), or it holds no readable holder.
    fs.rmSync(file, { force: true });
  }
  const current = readHolder(file);
  throw current ? new DataDirLockedError(dataDir, current) : new Error(`Cannot take the lock ${file}`);
}

/** Removes the lock if this process still holds it (never another gateway's). */
function releaseLock(file: string): void {
  if (readHolder(file)?.pid === process.pid) fs.rmSync(file, { force: true });
}

/** The holder recorded in a lock file, or null if there is none or it cannot be read. */
export function readHolder(file: string): DataDirLockHolder | null {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<DataDirLockHolder>;
    if (!Number.isSafeInteger(parsed.pid) || parsed.pid! <= 0) return null;
    return {
      pid: parsed.pid!,
      command: typeof parsed.command === "string" ? parsed.command : "start",
      httpPort: parsed.httpPort == null ? null : Number(parsed.httpPort),
      chainPort: parsed.chainPort == null ? null : Number(parsed.chainPort),
      startedAt: String(parsed.startedAt),
    };
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function describePorts(holder: DataDirLockHolder): string {
  const ports = [holder.httpPort === null ? null : `API port ${holder.httpPort}`, holder.chainPort === null ? null : `chain port ${holder.chainPort}`].filter(Boolean);
  return ports.length ? ports.join(", ") : "no ports";
}
