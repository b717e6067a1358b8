import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/**
 * The first port of the kernel's range for outgoing connections (Linux; the usual default
 * elsewhere). A port picked now and bound seconds later (a gateway's, after its start-up) must lie
 * below it: inside it, any outgoing connection meanwhile (to PostgreSQL, to a node, from another
 * job) may be given the same port, and the bind fails with EADDRINUSE.
 */
function ephemeralFloor(): number {
  try {
    const low = Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 0 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST = 10_000;
/** Ports this process handed out already: two picks before either is bound never get the same one. */
const handedOut = new Set<number>();

/**
 * Takes `port` for this run: no other pick gets it, in this process or, under `npm test`, in any
 * other of the run's processes (a file per port in the run's directory, created only if absent).
 * A port checked free and bound seconds later could otherwise be picked by a job side by side
 * meanwhile (one of two chain nodes then failed to start: its port in use).
 */
function reserve(port: number): boolean {
  if (handedOut.has(port)) return false;
  const runDir = process.env.FIRSTMILE_TEST_RUN_DIR;
  if (runDir) {
    const dir = path.join(runDir, "ports");
    fs.mkdirSync(dir, { recursive: true });
    try {
      fs.writeFileSync(path.join(dir, String(port)), "", { flag: "wx" });
    } catch {
      return false;
    }
  }
  handedOut.add(port);
  return true;
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now, outside the range outgoing connections take theirs from, and no other test's in this run. */
export async function freePort(): Promise<number> {
  const highest = ephemeralFloor() - 1;
  if (highest - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
      if (handedOut.has(port) || !(await bindable(port)) || !reserve(port)) continue;
      return port;
    }
  }
  return anyPort();
}
