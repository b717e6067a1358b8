import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temp dir, `pg_ctl start` on a free
 * port with its socket in the same dir, stopped and removed by `stop()`. Uses the Debian
 * binaries in /usr/lib/postgresql/<version>/bin (apt-get install postgresql). initdb refuses to
 * run as root, so as root the cluster belongs to the `postgres` user.
 */
export type PostgresServer = {
  /** `postgres://app@127.0.0.1:PORT/postgres` (trust authentication, user `app`). */
  url: string;
  port: number;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  /** Creates an empty database on the server; answers its URL. */
  createDatabase(database: string): Promise<string>;
  stop(): Promise<void>;
};

/**
 * The newest `/usr/lib/postgresql/<version>/bin` that has initdb and pg_ctl, or null.
 * `POSTGRES_BIN_DIR` names another folder instead (a non-existent one acts as "not installed").
 */
export function findPostgresBinaries(): string | null {
  const override = process.env.POSTGRES_BIN_DIR;
  if (override) return fs.existsSync(path.join(override, "initdb")) && fs.existsSync(path.join(override, "pg_ctl")) ? override : null;
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const versions = fs
    .readdirSync(root)
    .filter((version) => /^\d+$/.test(version))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = path.join(root, version, "bin");
    if (fs.existsSync(path.join(bin, "initdb")) && fs.existsSync(path.join(bin, "pg_ctl"))) return bin;
  }
  return null;
}

/**
 * `detachedIn`: the server is the test run's, shared by its processes (test/helpers/engines.ts):
 * it lives in that directory, outlives this process and is stopped by whoever runs the run
 * (`stopPostgresIn`); `stop()` then only forgets it.
 */
export async function startPostgres(bin: string, { detachedIn }: { detachedIn?: string } = {}): Promise<PostgresServer> {
  const dir = detachedIn ?? fs.mkdtempSync(path.join(os.tmpdir(), "firstmile-pg-"));
  if (detachedIn) fs.mkdirSync(dir, { recursive: true });
  const dataDir = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: "utf8", cwd: dir });
    if (result.status !== 0) {
      throw new Error(`${path.basename(command)} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout || result.error?.message}`);
    }
  };
  try {
    if (asRoot) {
      const chown = spawnSync("chown", ["-R", "postgres:postgres", dir], { encoding: "utf8" });
      if (chown.status !== 0) throw new Error(`chown postgres ${dir} failed: ${chown.stderr}`);
    }
    run(path.join(bin, "initdb"), ["-D", dataDir, "-U", "app", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    const port = await freePort();
    run(path.join(bin, "pg_ctl"), [
      "-D",
      dataDir,
      "-o",
      `-k ${dir} -c listen_addresses=127.0.0.1 -p ${port} -c fsync=off -c full_page_writes=off -c max_connections=50`,
      "-l",
      path.join(dir, "server.log"),
      "-w",
      "start",
    ]);
    let stopped = false;
    const stopNow = () => {
      if (stopped) return;
      stopped = true;
      try {
        run(path.join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    };
    if (detachedIn) return connectPostgres(port);
    // Tests that crash still must not leave a server running.
    process.once("exit", stopNow);
    return {
      ...connectPostgres(port),
      stop: async () => {
        process.removeListener("exit", stopNow);
        stopNow();
      },
    };
  } catch (error) {
    const log = path.join(dir, "server.log");
    const tail = fs.existsSync(log) ? `\n${fs.readFileSync(log, "utf8").slice(-2000)}` : "";
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}${tail}`);
  }
}

/** A server already running on `port` (the test run's shared one): `stop()` leaves it running. */
export function connectPostgres(port: number): PostgresServer {
  const urlFor = (database: string) => `postgres://app@127.0.0.1:${port}/${database}`;
  return {
    url: urlFor("postgres"),
    port,
    urlFor,
    async createDatabase(database) {
      const admin = new pg.Client({ connectionString: urlFor("postgres") });
      await admin.connect();
      try {
        await admin.query(`create database ${database}`);
      } finally {
        await admin.end();
      }
      return urlFor(database);
    },
    stop: async () => {},
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
