import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import type { Database } from "../../src/db/database";
import { MigrationError } from "../../src/db/errors";
import { checksumOf, migrate, readMigrations, type Migration } from "../../src/db/migrate";
import { openPostgres } from "../../src/db/postgres";
import { describeEachEngine, resetSchema } from "../helpers/engines";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { rejection } from "../helpers/rejection";

function migration(version: number, name: string, sql: string): Migration {
  return { version, name, file: `${String(version).padStart(4, "0")}_${name}.sql`, sql, checksum: checksumOf(sql) };
}

async function tablesOf(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
  );
  return rows.map((row) => row.table_name);
}

describe("readMigrations", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("migrations");
  });
  afterEach(() => removeTempDir(dir));

  it("reads the project's migrations in order, numbered from 0001", () => {
    const migrations = readMigrations();
    expect(migrations.length).to.be.greaterThan(0);
    expect(migrations[0]).to.include({ version: 1, name: "gateway_core", file: "0001_gateway_core.sql" });
    migrations.forEach((m, i) => expect(m.version).to.equal(i + 1));
  });

  it("gives the same checksum for CRLF and LF line endings, and a different one for any edit", () => {
    expect(checksumOf("create table a ();\r\n")).to.equal(checksumOf("create table a ();\n"));
    expect(checksumOf("create table a ();\n")).not.to.equal(checksumOf("create table b ();\n"));
  });

  it("refuses a badly named file, a gap and a duplicate number", () => {
    fs.writeFileSync(path.join(dir, "0001_a.sql"), "select 1;");
    fs.writeFileSync(path.join(dir, "notes.md"), "ignored");
    expect(readMigrations(dir).map((m) => m.file)).to.deep.equal(["0001_a.sql"]);
    fs.writeFileSync(path.join(dir, "0003_c.sql"), "select 1;");
    expect(() => readMigrations(dir)).to.throw(MigrationError, "0003_c.sql should be numbered 0002");
    fs.renameSync(path.join(dir, "0003_c.sql"), path.join(dir, "0001_b.sql"));
    expect(() => readMigrations(dir)).to.throw(MigrationError, "should be numbered 0002");
    fs.rmSync(path.join(dir, "0001_b.sql"));
    fs.writeFileSync(path.join(dir, "2_Bad-Name.sql"), "select 1;");
    expect(() => readMigrations(dir)).to.throw(MigrationError, "does not match NNNN_name.sql");
  });
});

describeEachEngine("migrate", (engine) => {
  let db: Database;
  before(async () => {
    db = await engine.openEmpty();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(() => resetSchema(db));

  it("applies the project's migrations to an empty database and records each with its checksum", async () => {
    const result = await migrate(db);
    const migrations = readMigrations();
    expect(result.applied.map((m) => m.file)).to.deep.equal(migrations.map((m) => m.file));
    expect(result.version).to.equal(migrations.length);
    expect(await tablesOf(db)).to.include.members(["schema_migrations", "members_auth", "keystore_keks", "custodial_keys", "outbox", "relay_calls"]);
    const { rows } = await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>("select * from schema_migrations order by version");
    expect(rows.map((row) => [row.version, row.name, row.checksum])).to.deep.equal(migrations.map((m) => [m.version, m.name, m.checksum]));
    expect(rows[0]!.applied_at).to.be.instanceOf(Date);
  });

  it("applies nothing the second time", async () => {
    await migrate(db);
    const again = await migrate(db);
    expect(again.applied).to.deep.equal([]);
    expect(again.version).to.equal(readMigrations().length);
  });

  it("applies only the new migration when one is added", async () => {
    const first = migration(1, "a", "create table a (id int);");
    await migrate(db, { migrations: [first] });
    const result = await migrate(db, { migrations: [first, migration(2, "b", "create table b (id int);")] });
    expect(result.applied.map((m) => m.file)).to.deep.equal(["0002_b.sql"]);
    expect(await tablesOf(db)).to.deep.equal(["a", "b", "schema_migrations"]);
  });

  it("refuses loudly when an applied migration was edited, and changes nothing", async () => {
    await migrate(db, { migrations: [migration(1, "a", "create table a (id int);")] });
    const edited = [migration(1, "a", "create table a (id bigint);"), migration(2, "b", "create table b (id int);")];
    const error = await rejection(migrate(db, { migrations: edited }));
    expect(error).to.be.instanceOf(MigrationError);
    expect(error.message).to.contain("Migration 0001_a.sql was changed after it was applied");
    expect(error.message).to.contain(`file now ${edited[0]!.checksum}`);
    expect(await tablesOf(db)).to.deep.equal(["a", "schema_migrations"]);
  });

  it("refuses to run when the database has a migration this code lacks", async () => {
    await migrate(db, { migrations: [migration(1, "a", "select 1;"), migration(2, "b", "select 2;")] });
    const error = await rejection(migrate(db, { migrations: [migration(1, "a", "select 1;")] }));
    expect(error).to.be.instanceOf(MigrationError);
    expect(error.message).to.contain("The database has migration 0002_b, which this code does not have");
  });

  it("applies all pending migrations or none", async () => {
    const migrations = [migration(1, "a", "create table a (id int);"), migration(2, "b", "create table b (id int);"), migration(3, "c", "create table c (id nonsense_type);")];
    const error = await rejection(migrate(db, { migrations }));
    expect(error).to.be.instanceOf(MigrationError);
    expect(error.message).to.contain("Migration 0003_c.sql failed");
    expect((error.cause as { code?: string }).code).to.equal("42704");
    expect(await tablesOf(db)).to.deep.equal([]);
  });

  it("applies each migration once when several gateways start at the same time", async () => {
    // PostgreSQL: separate pools, so the advisory lock is what serialises them. PGlite has one connection.
    const url = engine.lastUrl();
    const gateways = url ? await Promise.all([1, 2, 3, 4].map(() => openPostgres({ url }))) : [db, db, db, db];
    try {
      const slow = [migration(1, "a", "create table a (id int); select pg_sleep(0.2);"), migration(2, "b", "create table b (id int);")];
      const results = await Promise.all(gateways.map((gateway) => migrate(gateway, { migrations: slow })));
      expect(results.map((r) => r.applied.length).sort()).to.deep.equal([0, 0, 0, 2]);
      const { rows } = await db.query<{ n: bigint }>("select count(*) as n from schema_migrations");
      expect(rows[0]!.n).to.equal(2n);
    } finally {
      if (url) await Promise.all(gateways.map((gateway) => gateway.close()));
    }
  });
});
