import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { expect } from "chai";
import { Command } from "commander";
import { verifyMessage } from "ethers";
import { registerKeysCommand } from "../../src/cli/commands/keys";
import { KeystoreKeyMismatchError, openKeystore } from "../../src/chain/keystore";
import { open } from "../../src/chain/keystore/cipher";
import { deriveFromKeyFile, deriveRecordsKey, readKeyFile } from "../../src/chain/keystore/keyEncryptionKey";
import { createFarmer, farmerCreateSchema, readFarmer } from "../../src/farmers";
import { loadConfig } from "../../src/config";
import { openDatabase } from "../../src/db";
import { copyPgliteTemplate } from "../helpers/engines";
import { rejection } from "../helpers/rejection";
import { makeTempDir, removeTempDir } from "../helpers/tmp";

/** Runs `firstmile keys ...` in-process and returns what it printed. */
async function firstmile(env: Record<string, string>, cwd: string, ...args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => printed.push(chunk));
  const program = new Command("firstmile").exitOverride();
  registerKeysCommand(program, { env, cwd, stdout });
  await program.parseAsync(["node", "firstmile", ...args]);
  return Buffer.concat(printed).toString("utf8");
}

describe("firstmile keys rotate", function () {
  this.timeout(120_000);
  let dir: string;
  let secrets: string;
  beforeEach(async () => {
    dir = makeTempDir("keys-rotate");
    secrets = makeTempDir("keys-rotate-secrets");
    await copyPgliteTemplate(path.join(dir, "pgdata"));
  });
  afterEach(() => {
    removeTempDir(dir);
    removeTempDir(secrets);
  });

  it("re-encrypts every custodial key and farmer field under the new key: each still signs or opens, and the old key opens none of them", async () => {
    const env = { FIRSTMILE_DATA_DIR: dir };
    const config = loadConfig({ env, cwd: dir });
    const { db } = await openDatabase({ config: config.database });
    let accounts: string[];
    let farmerId: string;
    try {
      const { keystore } = await openKeystore({ db, config: config.keystore });
      accounts = [await keystore.createAccount(1n), await keystore.createAccount(1n), await keystore.createAccount(2n)];
      // A cooperative's farmer, whose fields are sealed under the same key.
      farmerId = (await createFarmer(db, keystore.records, { memberId: 1n, farmer: farmerCreateSchema.parse({ name: "Siti Rahmawati", phone: "+6281234567890" }) })).id;
    } finally {
      await db.close();
    }

    const newKeyFile = path.join(secrets, "kek");
    const printed = await firstmile(env, dir, "keys", "rotate", "--new-key-file", newKeyFile);
    expect(printed).to.include(`generated the new key file ${newKeyFile}`);
    expect(printed).to.include("re-encrypted 3 custodial key(s) under the new key");
    expect(printed).to.include("re-encrypted the private records too: 1 cooperative secrets, 1 farmers, 0 consent witnesses, 0 private document keys, 0 payments, 0 payout runs, 0 declared other incomes");
    expect(printed).to.include(`FIRSTMILE_KEYSTORE_KEY_FILE=${newKeyFile}`);
    expect(fs.statSync(newKeyFile).mode & 0o777).to.equal(0o600);
    expect(fs.existsSync(path.join(dir, "gateway.lock")), "the lock is released").to.equal(false);

    const reopened = await openDatabase({ config: config.database });
    try {
      // The old key no longer opens the keystore, nor any stored key.
      expect(await rejection(openKeystore({ db: reopened.db, config: config.keystore }))).to.be.instanceOf(KeystoreKeyMismatchError);
      const oldKek = deriveFromKeyFile(readKeyFile(path.join(dir, "keystore.key"), { create: false }).key);
      const { rows } = await reopened.db.query<{ address: string; encrypted_key: Buffer }>("select address, encrypted_key from custodial_keys");
      expect(rows).to.have.length(3);
      for (const row of rows) expect(open(oldKek, row.encrypted_key, Buffer.from(row.address, "utf8"))).to.equal(null);

      // The new one opens it, and every account still signs as itself.
      const { keystore } = await openKeystore({ db: reopened.db, config: { source: "keyFile", keyFile: newKeyFile, create: false } });
      for (const account of accounts) {
        const signature = await (await keystore.signer(account)).signMessage("after rotation");
        expect(verifyMessage("after rotation", signature)).to.equal(account);
      }
      // And the farmer's fields still open, under the new key only.
      expect((await readFarmer(reopened.db, keystore.records, farmerId, 1n))!.farmer).to.deep.include({ name: "Siti Rahmawati", phone: "+6281234567890" });
      const { rows: farmers } = await reopened.db.query<{ name_enc: Buffer }>("select name_enc from farmers");
      expect(open(deriveRecordsKey(oldKek), farmers[0]!.name_enc, Buffer.from(`firstmile private field v1|${farmerId}|name`))).to.equal(null);
    } finally {
      await reopened.db.close();
    }
  });

  it("refuses without exactly one new key, and while a gateway holds the data dir", async () => {
    const env = { FIRSTMILE_DATA_DIR: dir };
    expect((await rejection(firstmile(env, dir, "keys", "rotate"))).message).to.include("exactly one");
    expect((await rejection(firstmile({ ...env, FIRSTMILE_KEYSTORE_NEW_PASSPHRASE: "a new passphrase, long enough" }, dir, "keys", "rotate", "--new-key-file", "x"))).message).to.include("exactly one");
    // A live process (this one's parent) holds the lock.
    fs.writeFileSync(path.join(dir, "gateway.lock"), JSON.stringify({ pid: process.ppid, httpPort: 8080, chainPort: 8545, startedAt: "2026-01-01T00:00:00.000Z" }));
    const locked = await rejection(firstmile(env, dir, "keys", "rotate", "--new-key-file", path.join(secrets, "kek")));
    expect(locked.message).to.include(`is in use by a running gateway: PID ${process.ppid}, API port 8080`);
    expect(fs.existsSync(path.join(secrets, "kek")), "nothing written").to.equal(false);
  });
});
