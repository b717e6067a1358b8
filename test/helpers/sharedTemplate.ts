import fs from "node:fs";
import path from "node:path";
import { atRunEnd } from "./runEnd";
import { makeTempDir, removeTempDir } from "./tmp";

/**
 * A directory made once and then only copied from (a deployed chain, an initialised PGlite, the
 * seeded demo), with a JSON value describing it.
 *
 * `npm test` runs several test processes side by side and names one directory for the whole run in
 * FIRSTMILE_TEST_RUN_DIR: the first process that needs a template builds it there (the others that
 * need it meanwhile wait for it), every later one finds it made, and scripts/test.js removes the
 * directory after the run. Without that variable (mocha run on a few files) the template belongs to
 * this process: made on first use, removed at the end of the run (test/helpers/runEnd.ts).
 */
export type Template<T> = { dir: string; value: T };

/** How long a process waits for another one to finish building a template. */
const WAIT_MS = 10 * 60_000;
const MARKER = ".template.json";

const local = new Map<string, Promise<Template<unknown>>>();

/** The run's template `name`, built by `build` (into the empty directory it is given) if nobody has yet. */
export function sharedTemplate<T>(name: string, build: (dir: string) => Promise<T>): Promise<Template<T>> {
  let made = local.get(name) as Promise<Template<T>> | undefined;
  if (!made) {
    const runDir = process.env.FIRSTMILE_TEST_RUN_DIR;
    made = runDir ? runTemplate(path.join(runDir, name), build) : processTemplate(name, build);
    local.set(name, made);
    // A failed build is not kept: the next suite that asks tries again (and reports its own error).
    made.catch(() => local.delete(name));
  }
  return made;
}

async function processTemplate<T>(name: string, build: (dir: string) => Promise<T>): Promise<Template<T>> {
  const dir = makeTempDir(`${name}-template`);
  atRunEnd(() => {
    local.delete(name);
    removeTempDir(dir);
  });
  return { dir, value: await build(dir) };
}

/**
 * Built once in the run's directory: `dir.building` is taken with mkdir (atomic, so one process
 * wins), the template is built in `dir.partial` and renamed to `dir` with its value in `dir/.template.json`;
 * a build that fails leaves `dir.failed` with its error for the processes waiting on it.
 */
async function runTemplate<T>(dir: string, build: (dir: string) => Promise<T>): Promise<Template<T>> {
  const done = (): Template<T> | null => {
    try {
      return { dir, value: JSON.parse(fs.readFileSync(path.join(dir, MARKER), "utf8")) as T };
    } catch {
      return null;
    }
  };
  const ready = done();
  if (ready) return ready;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  let builder = true;
  try {
    fs.mkdirSync(`${dir}.building`);
  } catch {
    builder = false;
  }
  if (builder) {
    const partial = `${dir}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.mkdirSync(partial);
    try {
      const value = await build(partial);
      fs.writeFileSync(path.join(partial, MARKER), JSON.stringify(value ?? null));
      fs.renameSync(partial, dir);
      return { dir, value };
    } catch (error) {
      fs.writeFileSync(`${dir}.failed`, String((error as Error)?.stack ?? error));
      throw error;
    }
  }
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const made = done();
    if (made) return made;
    if (fs.existsSync(`${dir}.failed`)) throw new Error(`building the template ${path.basename(dir)} failed in another test process:\n${fs.readFileSync(`${dir}.failed`, "utf8")}`);
    if (Date.now() > deadline) throw new Error(`the template ${path.basename(dir)} was not built within ${WAIT_MS / 60_000} minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Files a template carries for the helpers only: never copied into a suite's directory. */
export const TEMPLATE_FILES = new Set([MARKER]);
