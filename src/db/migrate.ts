import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Database } from "./database";
import { MigrationError } from "./errors";

/** One versioned SQL file, `NNNN_name.sql`. */
export type Migration = {
  version: number;
  name: string;
  file: string;
  sql: string;
  /** sha-256 (hex) of the file with line endings normalised to `\n`. */
  checksum: string;
};

export type MigrateParameters = {
  /** Defaults to the files in `src/db/migrations`. */
  migrations?: readonly Migration[] | undefined;
};

export type MigrateReturnType = {
  /** Migrations this call applied, in order. */
  applied: Migration[];
  /** Highest version now in the database (0: none). */
  version: number;
};

export type MigrateErrorType = MigrationError;

export const MIGRATIONS_DIR = path.join(__dirname, "migrations");

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * The advisory lock (two int4 keys: "firs", "tmil" in ASCII) that serialises migrations across
 * processes. PGlite has one connection, so there it is uncontended, but the SQL is the same.
 */
export const MIGRATION_LOCK = [0x66697273, 0x746d696c] as const;

/** Reads and checks `NNNN_name.sql` files: numbered from 1 without gaps or duplicates. */
export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations: Migration[] = [];
  for (const file of fs.readdirSync(dir).sort()) {
    if (!file.endsWith(".sql")) continue;
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`Migration file name ${file} does not match NNNN_name.sql`, { details: `in ${dir}` });
    const sql = fs.readFileSync(path.join(dir, file), "utf8");
    migrations.push({ version: Number(match[1]), name: match[2]!, file, sql, checksum: checksumOf(sql) });
  }
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new MigrationError(`Migration ${migration.file} should be numbered ${String(index + 1).padStart(4, "0")}`, {
        details: `migrations in ${dir} must be numbered 0001, 0002, ... without gaps or duplicates`,
      });
    }
  });
  return migrations;
}

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Brings the schema up to date, forward only, in one transaction: all pending migrations apply
 * or none. Holds an advisory lock meanwhile, so gateways starting together on one PostgreSQL
 * database apply each migration once.
 *
 * @throws {MigrationError} if an applied migration's file changed (checksum), if the database
 * has migrations this code does not know (older code, newer schema), or if a migration fails.
 */
export async function migrate(db: Database, parameters: MigrateParameters = {}): Promise<MigrateReturnType> {
  const migrations = parameters.migrations ?? readMigrations();
  return db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1, $2)", [...MIGRATION_LOCK]);
    await tx.exec(`
      create table if not exists schema_migrations (
        version    integer primary key,
        name       text not null,
        checksum   text not null,
        applied_at timestamptz not null default now()
      )`);
    const { rows } = await tx.query<{ version: number; name: string; checksum: string }>(
      "select version, name, checksum from schema_migrations order by version",
    );
    const byVersion = new Map(migrations.map((migration) => [migration.version, migration]));
    for (const row of rows) {
      const migration = byVersion.get(row.version);
      const label = `${String(row.version).padStart(4, "0")}_${row.name}`;
      if (!migration) {
        throw new MigrationError(`The database has migration ${label}, which this code does not have`, {
          metaMessages: ["The schema is newer than this gateway: run the gateway version that applied it, or newer."],
        });
      }
      if (migration.checksum !== row.checksum) {
        throw new MigrationError(`Migration ${migration.file} was changed after it was applied`, {
          metaMessages: ["Applied migrations are never edited: restore the file and put the change in a new migration."],
          details: `checksum applied ${row.checksum}, file now ${migration.checksum}`,
        });
      }
    }
    const applied: Migration[] = [];
    const done = new Set(rows.map((row) => row.version));
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(`Migration ${migration.file} failed`, { cause: error, details: (error as Error).message });
      }
      await tx.query("insert into schema_migrations (version, name, checksum) values ($1, $2, $3)", [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      applied.push(migration);
    }
    const version = Math.max(0, ...rows.map((row) => row.version), ...applied.map((migration) => migration.version));
    return { applied, version };
  });
}
