import path from "node:path";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import type { KeystoreConfig } from "../../config/config";
import { loadConfig } from "../../config";
import { Secret } from "../../config/secret";
import { lockDataDir } from "../../gateway/dataDirLock";

export type KeysCommandIo = {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: Writable;
};

/** The new key's sources: read here, and kept out of the settings `loadConfig` checks. */
const NEW_PASSPHRASE = "FIRSTMILE_KEYSTORE_NEW_PASSPHRASE";
const NEW_KEY_FILE = "FIRSTMILE_KEYSTORE_NEW_KEY_FILE";

/**
 * `firstmile keys rotate`: re-encrypts every custodial key (and every private record sealed under the
 * key: farmers' fields, cooperative secrets, private document keys) under a new key-encryption key, with the
 * gateway stopped (it takes the data dir's lock, so it refuses while one runs). The current key is
 * the one the gateway starts with (FIRSTMILE_KEYSTORE_PASSPHRASE or FIRSTMILE_KEYSTORE_KEY_FILE);
 * the new one is FIRSTMILE_KEYSTORE_NEW_PASSPHRASE, or a key file (`--new-key-file`, generated
 * with mode 0600 if it does not exist). The gateway is then started with the new one.
 */
export function registerKeysCommand(program: Command, io: KeysCommandIo = { env: process.env, cwd: process.cwd(), stdout: process.stdout }): void {
  const keys = program.command("keys").description("the custodial keystore's key-encryption key");
  const print = (line: string) => io.stdout.write(`${line}\n`);
  keys
    .command("rotate")
    .description("re-encrypt every custodial key and private record under a new key (FIRSTMILE_KEYSTORE_NEW_PASSPHRASE or --new-key-file); the gateway must be stopped")
    .option("--new-key-file <file>", "file of the new 32-byte key (64 hex characters); generated (mode 0600) if it does not exist")
    .option("--data-dir <dir>", "data directory (default FIRSTMILE_DATA_DIR or ./.firstmile)")
    .action(async (options: { newKeyFile?: string; dataDir?: string }) => {
      const { [NEW_PASSPHRASE]: newPassphrase, [NEW_KEY_FILE]: newKeyFileEnv, ...env } = io.env;
      const newKeyFile = options.newKeyFile ?? newKeyFileEnv;
      if ((newPassphrase === undefined) === (newKeyFile === undefined)) {
        throw new Error(`keys rotate: give the new key as exactly one of ${NEW_PASSPHRASE} and --new-key-file (or ${NEW_KEY_FILE})`);
      }
      const config = loadConfig({ env, argv: options.dataDir ? ["--data-dir", options.dataDir] : [], cwd: io.cwd });
      const next: KeystoreConfig =
        newPassphrase !== undefined
          ? { source: "passphrase", passphrase: new Secret(newPassphrase) }
          : { source: "keyFile", keyFile: path.resolve(io.cwd, newKeyFile!), create: true };
      if (config.profile === "production" && next.source === "keyFile" && !path.relative(config.dataDir, next.keyFile).startsWith("..")) {
        throw new Error(`keys rotate: on the production profile the new key file must be outside the data dir ${config.dataDir}`);
      }
      const lock = lockDataDir(config.dataDir, { command: "keys rotate", httpPort: null, chainPort: null });
      try {
        // Loaded here, not to parse flags. (`require`: the sources are CommonJS.)
        const { openDatabase } = require("../../db") as typeof import("../../db");
        const { openKeystore } = require("../../chain/keystore") as typeof import("../../chain/keystore");
        const { farmerResealers } = require("../../farmers") as typeof import("../../farmers");
        const { paymentResealers } = require("../../payments") as typeof import("../../payments");
        const { db } = await openDatabase({ config: config.database });
        try {
          const { keystore } = await openKeystore({ db, config: config.keystore });
          const { rotated, resealed, keyFileCreated } = await keystore.rotate(next, { resealers: [...farmerResealers, ...paymentResealers] });
          if (keyFileCreated && next.source === "keyFile") print(`generated the new key file ${next.keyFile} (mode 0600); back it up`);
          print(`re-encrypted ${rotated} custodial key(s) under the new key; the old one no longer opens the keystore`);
          print(`re-encrypted the private records too: ${Object.entries(resealed).map(([name, count]) => `${count} ${name}`).join(", ")}`);
          print(
            next.source === "passphrase"
              ? `start the gateway with FIRSTMILE_KEYSTORE_PASSPHRASE set to the new passphrase`
              : `start the gateway with FIRSTMILE_KEYSTORE_KEY_FILE=${next.keyFile}`,
          );
        } finally {
          await db.close();
        }
      } finally {
        lock.release();
      }
    });
}
