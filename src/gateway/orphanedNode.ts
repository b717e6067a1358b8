import fs from "node:fs";
import path from "node:path";

/**
 * The embedded anvil node is a child of the gateway; if the gateway is killed (SIGKILL, a crash),
 * the node lives on and holds the chain port. The gateway records the node's pid in
 * `<dataDir>/chain/anvil.pid`; the next start on the same data dir stops that node (SIGINT, so it
 * writes its state) before starting its own.
 */
const PID_FILE = "anvil.pid";

export function writeNodePid(stateDir: string, pid: number | undefined): void {
  if (pid === undefined) return;
  fs.writeFileSync(path.join(stateDir, PID_FILE), `${pid}\n`);
}

/** Stops an anvil left running by an earlier gateway on this data dir; returns its pid, or null if none ran. */
export async function stopOrphanedNode(stateDir: string, timeoutMs = 10_000): Promise<number | null> {
  const file = path.join(stateDir, PID_FILE);
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
  } catch {
    return null;
  }
  fs.rmSync(file, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !isAnvil(pid)) return null;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Only an anvil process is ours to stop (a reused pid belongs to someone else). */
function isAnvil(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").some((arg) => path.basename(arg) === "anvil");
  } catch {
    // Without /proc (not Linux) the process cannot be identified: leave it alone.
    return false;
  }
}
