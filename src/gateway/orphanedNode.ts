import fs from "node:fs";
import path from "node:path";

/**
 * The embedded anvil node is a child of the gateway; if the gateway is killed (SIGKILL, a crash),
 * the node lives on and holds the chain port. The next start on the same data dir stops that node
 * (SIGINT, so it writes its state) before starting its own. The running node's pid is also written
 * to `<dataDir>/chain/anvil.pid` for operators and tools.
 */
const PID_FILE = "anvil.pid";

export function writeNodePid(stateDir: string, pid: number | undefined): void {
  if (pid === undefined) return;
  fs.writeFileSync(path.join(stateDir, PID_FILE), `${pid}\n`);
}

/**
 * Stops an anvil left running by an earlier gateway on this data dir; returns its pid, or null if
 * none ran. Found by its `--state` file (every anvil process on the machine is checked through
 * /proc), so a node started just before a crash, whose pid was never recorded, is found too.
 */
export async function stopOrphanedNode(stateDir: string, timeoutMs = 10_000): Promise<number | null> {
  fs.rmSync(path.join(stateDir, PID_FILE), { force: true });
  const pid = anvilOf(path.join(stateDir, "state.json"));
  if (pid === null) return null;
  process.kill(pid, "SIGINT");
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
  return pid;
}

/** The pid of an anvil process whose state file is `stateFile`, or null (also where /proc does not exist). */
function anvilOf(stateFile: string): number | null {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, "latin1").split("\0");
    } catch {
      continue;
    }
    if (path.basename(args[0] ?? "") !== "anvil") continue;
    const state = args.indexOf("--state");
    if (state >= 0 && path.resolve(args[state + 1] ?? "") === path.resolve(stateFile)) return Number(entry);
  }
  return null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
