import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { DatabaseOpenError } from "../../src/db/errors";
import { openPglite } from "../../src/db/pglite";
import { copyPgliteTemplate } from "../helpers/engines";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

describe("openPglite", () => {
  let root: string;
  before(() => {
    root = makeTempDir("pglite-open");
  });
  after(() => removeTempDir(root));

  it("keeps data across close and reopen, and refuses a second opener of the same directory", async () => {
    const dir = path.join(root, "pgdata");
    await copyPgliteTemplate(dir);
    const db = await openPglite({ dir });
    try {
      await db.query("create table kept (id int)");
      await db.query("insert into kept values (1)");
      expect(fs.readFileSync(`${dir}.lock`, "utf8").trim()).to.equal(String(process.pid));
      let error: unknown;
      await openPglite({ dir }).then((other) => other.close(), (e) => (error = e));
      expect(error).to.be.instanceOf(DatabaseOpenError);
      expect((error as Error).message).to.contain(`is in use by process ${process.pid}`);
    } finally {
      await db.close();
    }
    expect(fs.existsSync(`${dir}.lock`)).to.equal(false);

    // A lock left by a process that is gone is taken over.
    fs.writeFileSync(`${dir}.lock`, "999999999\n");
    const reopened = await openPglite({ dir });
    try {
      expect((await reopened.query("select id from kept")).rows).to.deep.equal([{ id: 1 }]);
    } finally {
      await reopened.close();
    }
  });
});
