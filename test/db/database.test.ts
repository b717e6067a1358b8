import { expect } from "chai";
import { SQLSTATE, sqlState, type Database } from "../../src/db/database";
import { BatchRowCountError, QueryOutsideTransactionError } from "../../src/db/errors";
import { describeEachEngine, resetSchema } from "../helpers/engines";
import { rejection } from "../helpers/rejection";

const waitFor = async (condition: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
};

describeEachEngine("Database", (engine) => {
  let db: Database;
  before(async () => {
    db = await engine.openEmpty();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await resetSchema(db);
    await db.exec("create table item (id int primary key, name text not null)");
  });

  it(`says which engine it is`, () => {
    expect(db.engine).to.equal(engine.name);
  });

  it("returns the same JavaScript values on both engines", async () => {
    const { rows } = await db.query(
      `select 1::int8 as small_int8, 9007199254740993::int8 as big_int8, 7::int4 as int4,
              '123456789012345678901234567890.5'::numeric as numeric, '\\x0102ff'::bytea as bytea,
              '2026-01-02T03:04:05Z'::timestamptz as at, '2026-01-02'::date as day,
              array[1, null, 2]::int8[] as int8s, true as flag, null::text as nothing,
              $1::jsonb as json_object, $2::jsonb as json_array, $3::bytea as bytes_param,
              $4::numeric as uint256, $5::int8 as bigint_param, $6::text[] as texts,
              array['\\x01'::bytea, '\\x02ff'::bytea] as byteas`,
      [JSON.stringify({ a: [1, "x"] }), JSON.stringify([1, 2]), Buffer.from("hi"), (2n ** 256n - 1n).toString(), 2n ** 60n, ["a", "b"]],
    );
    expect(rows[0]).to.deep.equal({
      small_int8: 1n,
      big_int8: 9007199254740993n,
      int4: 7,
      numeric: "123456789012345678901234567890.5",
      bytea: Buffer.from([1, 2, 255]),
      at: new Date("2026-01-02T03:04:05Z"),
      day: "2026-01-02",
      int8s: [1n, null, 2n],
      flag: true,
      nothing: null,
      json_object: { a: [1, "x"] },
      json_array: [1, 2],
      bytes_param: Buffer.from("hi"),
      uint256: (2n ** 256n - 1n).toString(),
      bigint_param: 2n ** 60n,
      texts: ["a", "b"],
      byteas: [Buffer.from([1]), Buffer.from([2, 255])],
    });
    expect(Buffer.isBuffer(rows[0]!.bytea)).to.equal(true);
    expect((rows[0]!.byteas as unknown[]).every((value) => Buffer.isBuffer(value))).to.equal(true);
  });

  it("counts written rows and returned rows alike", async () => {
    expect((await db.query("insert into item values (1, 'a'), (2, 'b')")).rowCount).to.equal(2);
    expect((await db.query("update item set name = 'c'")).rowCount).to.equal(2);
    expect((await db.query("select * from item")).rowCount).to.equal(2);
    expect((await db.query("delete from item where id = 3")).rowCount).to.equal(0);
  });

  it("commits a transaction and returns the callback's value", async () => {
    const result = await db.transaction(async (tx) => {
      await tx.query("insert into item values (1, 'a')");
      await tx.exec("insert into item values (2, 'b'); insert into item values (3, 'c');");
      return "done";
    });
    expect(result).to.equal("done");
    expect((await db.query("select count(*)::int as n from item")).rows[0]).to.deep.equal({ n: 3 });
  });

  it("rolls back a transaction that throws, and rethrows", async () => {
    const error = await rejection(
      db.transaction(async (tx) => {
        await tx.query("insert into item values (1, 'a')");
        throw new Error("business rule");
      }),
    );
    expect(error.message).to.equal("business rule");
    expect((await db.query("select count(*)::int as n from item")).rows[0]).to.deep.equal({ n: 0 });
  });

  it("rejects a transaction whose commit fails (a deferred constraint), and keeps none of it", async () => {
    await db.exec("create table parent (id int primary key); create table child (parent_id int references parent (id) deferrable initially deferred)");
    const error = await rejection(
      db.transaction(async (tx) => {
        await tx.query("insert into item values (1, 'a')");
        await tx.query("insert into child values (42)");
      }),
    );
    expect(sqlState(error)).to.equal(SQLSTATE.foreignKeyViolation);
    expect((await db.query("select count(*)::int as n from item")).rows[0]).to.deep.equal({ n: 0 });
  });

  it("runs a batch of statements in one transaction and returns each result, bytea as Buffers", async () => {
    const results = await db.batch([
      { sql: "insert into item values ($1, $2), (2, 'b')", params: [1, "a"], expectRows: 2 },
      { sql: "update item set name = upper(name) where id = any($1::int[])", params: [[1, 2]] },
      { sql: "select id, name, decode('ff', 'hex') as raw from item order by id" },
    ]);
    expect(results.map((result) => result.rowCount)).to.deep.equal([2, 2, 2]);
    expect(results[2]!.rows).to.deep.equal([
      { id: 1, name: "A", raw: Buffer.from([255]) },
      { id: 2, name: "B", raw: Buffer.from([255]) },
    ]);
    expect(Buffer.isBuffer(results[2]!.rows[0]!.raw)).to.equal(true);
    expect(await db.batch([])).to.deep.equal([]);
  });

  it("rolls a batch back whole when a statement fails or affects other rows than it expects", async () => {
    await db.query("insert into item values (1, 'a')");
    const count = await rejection(
      db.batch([
        { sql: "insert into item values (2, 'b')" },
        { sql: "update item set name = 'z' where id = 9", expectRows: 1 },
        { sql: "insert into item values (3, 'c')" },
      ]),
    );
    expect(count).to.be.instanceOf(BatchRowCountError);
    expect(count).to.deep.include({ statement: 1, expected: 1, actual: 0 });
    const failed = await rejection(db.batch([{ sql: "insert into item values (2, 'b')" }, { sql: "insert into item values (1, 'again')" }]));
    expect(sqlState(failed)).to.equal(SQLSTATE.uniqueViolation);
    expect((await db.query("select id, name from item order by id")).rows).to.deep.equal([{ id: 1, name: "a" }]);
  });

  it("loads COPY rows in a batch, in its transaction: tabs, newlines, backslashes, NULL, empty, unicode", async () => {
    const text = "1\ta\\tb\n2\tline\\nbreak \\\\ back\n3\t\n4\tcaf\u00e9 \u{1F36B}\n";
    const rows = new TextEncoder().encode(text);
    const results = await db.batch([
      { sql: "insert into item values (9, 'before')" },
      { sql: "copy item (id, name) from stdin", copyRows: rows, expectRows: 4 },
    ]);
    expect(results.map((result) => result.rowCount)).to.deep.equal([1, 4]);
    expect((await db.query("select id, name from item order by id")).rows).to.deep.equal([
      { id: 1, name: "a\tb" },
      { id: 2, name: "line\nbreak \\ back" },
      { id: 3, name: "" },
      { id: 4, name: "caf\u00e9 \u{1F36B}" },
      { id: 9, name: "before" },
    ]);
    await db.exec("alter table item alter column name drop not null");
    await db.batch([{ sql: "copy item (id, name) from stdin", copyRows: new TextEncoder().encode("5\t\\N\n") }]);
    expect((await db.query("select name from item where id = 5")).rows).to.deep.equal([{ name: null }]);
  });

  it("rolls a batch back whole when its COPY fails, and refuses copyRows on any other statement", async () => {
    await db.query("insert into item values (1, 'a')");
    const failed = await rejection(
      db.batch([{ sql: "insert into item values (2, 'b')" }, { sql: "copy item (id, name) from stdin", copyRows: new TextEncoder().encode("3\tc\n1\tagain\n") }]),
    );
    expect(sqlState(failed)).to.equal(SQLSTATE.uniqueViolation);
    const refused = await rejection(db.batch([{ sql: "insert into item values (2, 'b')", copyRows: new TextEncoder().encode("2\tb\n") }]));
    expect(refused).to.be.instanceOf(TypeError);
    expect((await db.query("select id, name from item order by id")).rows).to.deep.equal([{ id: 1, name: "a" }]);
  });

  it("refuses a query on the database itself inside its transaction", async () => {
    const error = await rejection(db.transaction(async () => db.query("select 1")));
    expect(error).to.be.instanceOf(QueryOutsideTransactionError);
    expect((await db.query("select 1 as one")).rows).to.deep.equal([{ one: 1 }]);
  });

  it("reports the SQLSTATE of a constraint violation the same way", async () => {
    await db.query("insert into item values (1, 'a')");
    const error = await rejection(db.query("insert into item values (1, 'b')"));
    expect(sqlState(error)).to.equal(SQLSTATE.uniqueViolation);
    expect(sqlState(new Error("no code"))).to.equal(undefined);
  });

  it("delivers committed notifications, not rolled-back ones, until unlistened", async () => {
    const received: string[] = [];
    const stop = await db.listen("item_events", (payload) => received.push(payload));
    await db.query("select pg_notify('item_events', 'one')");
    await db.transaction(async (tx) => {
      await tx.query("select pg_notify('item_events', 'two')");
    });
    await rejection(
      db.transaction(async (tx) => {
        await tx.query("select pg_notify('item_events', 'rolled back')");
        throw new Error("abort");
      }),
    );
    await db.query("select pg_notify('item_events', 'three')");
    await waitFor(() => received.length >= 3);
    expect(received).to.deep.equal(["one", "two", "three"]);
    await stop();
    await db.query("select pg_notify('item_events', 'after stop')");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).to.deep.equal(["one", "two", "three"]);
  });

  it("refuses a channel name it would have to quote", async () => {
    const error = await rejection(db.listen("bad; drop table item", () => {}));
    expect(error).to.be.instanceOf(TypeError);
  });
}, { pgliteWorker: true });
