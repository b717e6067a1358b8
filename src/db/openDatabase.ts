import type { DatabaseConfig } from "../config/config";
import type { Database } from "./database";
import { migrate, type MigrateReturnType, type Migration } from "./migrate";
import { openPglite } from "./pglite";

export type OpenDatabaseParameters = {
  config: DatabaseConfig;
  /** Defaults to the files in `src/db/migrations`. */
  migrations?: readonly Migration[] | undefined;
  onBackgroundError?: ((error: Error) => void) | undefined;
};

export type OpenDatabaseReturnType = { db: Database; migrations: MigrateReturnType };

/** Opens the configured engine and applies pending migrations; closes it again if they fail. */
export async function openDatabase(parameters: OpenDatabaseParameters): Promise<OpenDatabaseReturnType> {
  const { config } = parameters;
  const db =
    config.engine === "pglite"
      ? await openPglite({ dir: config.dir, thread: config.thread })
      : // The PostgreSQL driver is loaded only for PostgreSQL: a command on the embedded engine starts sooner.
        await (require("./postgres") as typeof import("./postgres")).openPostgres({ url: config.url, onBackgroundError: parameters.onBackgroundError });
  try {
    return { db, migrations: await migrate(db, { migrations: parameters.migrations }) };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
