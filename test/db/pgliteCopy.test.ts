import { expect } from "chai";
import { copyOnPglite } from "../../src/db/pgliteCopy";
import { rejection } from "../helpers/rejection";

const loadPglite = () => import("@electric-sql/pglite");

describe("PGlite COPY from its in-memory file system", function () {
  // In memory: the COPY's file lives in PGlite's own file system either way, never in a data dir.
  let pglite: InstanceType<Awaited<ReturnType<typeof loadPglite>>["PGlite"]>;
  const leftovers = () => pglite.Module.FS.readdir("/tmp").filter((name: string) => name.startsWith("firstmile-copy"));

  before(async () => {
    const { PGlite } = await loadPglite();
    pglite = new PGlite();
    await pglite.exec("create table item (id int primary key, name text)");
  });
  after(async () => {
    await pglite?.close();
  });

  it("loads the rows and removes the file, whether the COPY succeeds or fails", async () => {
    const rows = new TextEncoder().encode("1\tone\n2\t\\N\n3\tthree, with a tab\\there\n");
    const result = await copyOnPglite(pglite, pglite.Module.FS, "copy item (id, name) from stdin", rows);
    expect(result.affectedRows).to.equal(3);
    expect((await pglite.query<{ name: string | null }>("select name from item order by id")).rows.map((row) => row.name)).to.deep.equal(["one", null, "three, with a tab\there"]);
    expect(leftovers()).to.deep.equal([]);

    const failed = await rejection(copyOnPglite(pglite, pglite.Module.FS, "copy item (id, name) from stdin", new TextEncoder().encode("4\tfour\nnot a number\tx\n")));
    expect(String(failed)).to.match(/invalid input syntax for type integer/);
    expect(leftovers()).to.deep.equal([]);
    expect((await pglite.query<{ n: number }>("select count(*)::int as n from item")).rows[0]!.n).to.equal(3);
  });
});
