import { expect } from "chai";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DatabaseOpenError } from "../../src/db/errors";
import { openPglite } from "../../src/db/pglite";
import { copyPgliteTemplate } from "../helpers/engines";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { TEST_NODE_FLAGS } from "../helpers/testNode";

for (const thread of ["main", "worker"] as const) describe(`openPglite (${thread} thread)`, () => {
  let root: string;
  before(() => {
    root = makeTempDir("pglite-open");
  });
  after(() => removeTempDir(root));
  /** A fresh copy of the template in `root/name`, opened on this thread. */
  const openCopy = async (name: string) => {
    const dir = path.join(root, name);
    await copyPgliteTemplate(dir);
    return { dir, db: await openPglite({ dir, thread }) };
  };

  it("keeps data across close and reopen, and refuses a second opener of the same directory", async () => {
    const { dir, db } = await openCopy("pgdata");
    try {
      await db.query("create table kept (id int)");
      await db.query("insert into kept values (1)");
      expect(fs.readFileSync(`${dir}.lock`, "utf8").trim()).to.equal(String(process.pid));
      let error: unknown;
      await openPglite({ dir, thread }).then((other) => other.close(), (e) => (error = e));
      expect(error).to.be.instanceOf(DatabaseOpenError);
      expect((error as Error).message).to.contain(`is in use by process ${process.pid}`);
    } finally {
      await db.close();
    }
    expect(fs.existsSync(`${dir}.lock`)).to.equal(false);

    // A lock left by a process that is gone is taken over.
    fs.writeFileSync(`${dir}.lock`, "999999999\n");
    const reopened = await openPglite({ dir, thread });
    try {
      expect((await reopened.query("select id from kept")).rows).to.deep.equal([{ id: 1 }]);
    } finally {
      await reopened.close();
    }
  });

  it("runs a statement from outside an open transaction after it, seeing what it committed", async () => {
    const { db } = await openCopy("ordering");
    try {
      await db.exec("create table item (id int primary key)");
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const transaction = db.transaction(async (tx) => {
        await tx.query("insert into item values (1)");
        await held;
        await tx.query("insert into item values (2)");
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const outside = db.query<{ n: number }>("select count(*)::int as n from item");
      release();
      await transaction;
      expect((await outside).rows).to.deep.equal([{ n: 2 }]);
    } finally {
      await db.close();
    }
  });

  it("refuses every call once closed, with a message that says so", async () => {
    const { dir, db } = await openCopy("closed");
    await db.close();
    let error: unknown;
    await db.query("select 1").catch((e) => (error = e));
    expect(String((error as Error)?.message)).to.match(/closed/i);
    expect(fs.existsSync(`${dir}.lock`)).to.equal(false);
  });
});

describe("openPglite: directory locks", () => {
  it("holds several directories with one exit listener, and removes each lock as its database closes", async function () {
    this.timeout(120_000);
    const root = makeTempDir("pglite-locks");
    const before = process.listenerCount("exit");
    const open: Array<{ dir: string; db: Awaited<ReturnType<typeof openPglite>> }> = [];
    try {
      for (const name of ["a", "b", "c"]) {
        const dir = path.join(root, name);
        await copyPgliteTemplate(dir);
        open.push({ dir, db: await openPglite({ dir, thread: "main" }) });
      }
      expect(process.listenerCount("exit") - before).to.equal(1);
      await open.shift()!.db.close();
      expect(fs.existsSync(path.join(`${root}/a.lock`))).to.equal(false);
      expect(fs.existsSync(path.join(`${root}/b.lock`))).to.equal(true);
      expect(process.listenerCount("exit") - before).to.equal(1);
    } finally {
      for (const { db } of open) await db.close();
      removeTempDir(root);
    }
    expect(process.listenerCount("exit")).to.equal(before);
  });
});

describe("openPglite on a worker thread", () => {
  it("does not keep a process alive that forgot to close it, and answers from the thread while it runs", async function () {
    this.timeout(60_000);
    const root = makeTempDir("pglite-exit");
    try {
      const dir = path.join(root, "pgdata");
      await copyPgliteTemplate(dir);
      const script = [
        `const { openPglite } = require(${JSON.stringify(path.resolve(__dirname, "../../src/db/pglite"))});`,
        `openPglite({ dir: ${JSON.stringify(dir)}, thread: "worker" }).then(async (db) => {`,
        `  const { rows } = await db.query("select $1::int8 + 1 as n, $2::bytea as b", [41n, Buffer.from("ok")]);`,
        `  console.log(JSON.stringify({ n: String(rows[0].n), b: Buffer.isBuffer(rows[0].b) && rows[0].b.toString() }));`,
        `});`,
      ].join("\n");
      const started = Date.now();
      const { stdout, status } = spawnSync(process.execPath, [...TEST_NODE_FLAGS, "-r", "./scripts/register-ts.js", "-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 50_000 });
      expect(status).to.equal(0);
      expect(JSON.parse(stdout.trim())).to.deep.equal({ n: "42", b: "ok" });
      expect(Date.now() - started).to.be.lessThan(50_000);
    } finally {
      removeTempDir(root);
    }
  });
});
