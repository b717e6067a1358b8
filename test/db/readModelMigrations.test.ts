import { expect } from "chai";
import { readMigrations } from "../../src/db/migrate";
import { READ_MODEL_MARKER, READ_MODEL_TABLES, readModelMigrations } from "../../src/indexer/store/readModel";

/**
 * `firstmile index rebuild` builds the read model by replaying the migrations that start with the
 * read-model marker: a migration that changes a read-model table without it leaves the rebuild's
 * tables behind the live ones (it then retries its first write forever).
 */
describe("read-model migrations", () => {
  /** Every index a migration creates on a read-model table, with its table. */
  const indexTables = new Map<string, string>();
  for (const migration of readMigrations()) {
    for (const match of migration.sql.matchAll(/\bcreate\s+(?:unique\s+)?index\s+(?:if\s+not\s+exists\s+)?(\w+)\s+on\s+(\w+)/gi)) {
      if (match[2]!.toLowerCase() in READ_MODEL_TABLES) indexTables.set(match[1]!.toLowerCase(), match[2]!.toLowerCase());
    }
  }
  const touched = (sql: string) =>
    Object.keys(READ_MODEL_TABLES).filter(
      (table) =>
        new RegExp(`\\b(create|alter)\\s+table\\s+(if\\s+not\\s+exists\\s+)?${table}\\b`, "i").test(sql) ||
        // An index on a read-model table must be rebuilt with it, and one dropped dropped there too.
        new RegExp(`\\bcreate\\s+(unique\\s+)?index\\s+(if\\s+not\\s+exists\\s+)?\\w+\\s+on\\s+${table}\\b`, "i").test(sql) ||
        [...sql.matchAll(/\bdrop\s+index\s+(?:if\s+exists\s+)?(\w+)/gi)].some((match) => indexTables.get(match[1]!.toLowerCase()) === table),
    );

  it("marks every migration that creates or alters a read-model table, and only those", () => {
    const marked = new Set(readModelMigrations().map((migration) => migration.file));
    const wrong = readMigrations()
      .filter((migration) => marked.has(migration.file) !== touched(migration.sql).length > 0)
      .map((migration) => `${migration.file}: ${marked.has(migration.file) ? "marked, but touches no read-model table" : `touches ${touched(migration.sql).join(", ")} without "${READ_MODEL_MARKER}"`}`);
    expect(wrong).to.deep.equal([]);
  });

  it("finds the tables a migration touches, and none in another table's name", () => {
    expect(touched("alter table forms add column x int;\ncreate table if not exists lot_claims (x int);")).to.deep.equal(["forms", "lot_claims"]);
    expect(touched("create table relay_lots (x int); alter table lots_archive add y int;")).to.deep.equal([]);
    expect(touched("create index lots_x on lots (metadata);")).to.deep.equal(["lots"]);
    expect(touched("create index relay_lots_x on relay_lots (x);")).to.deep.equal([]);
    expect(touched("drop index if exists lots_form;")).to.deep.equal(["lots"]);
    expect(touched("drop index outbox_due_free;")).to.deep.equal([]);
  });
});
