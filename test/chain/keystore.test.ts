import { expect } from "chai";
import { TypedDataEncoder, Wallet, verifyMessage, verifyTypedData } from "ethers";
import fs from "node:fs";
import path from "node:path";
import { inspect } from "node:util";
import pino from "pino";
import {
  KeystoreCorruptKeyError,
  KeystoreKeyFileError,
  KeystoreKeyMismatchError,
  KeystoreUnknownAccountError,
  openKeystore,
  type Keystore,
} from "../../src/chain/keystore";
import { loadConfig } from "../../src/config";
import { Secret } from "../../src/config/secret";
import type { KeystoreConfig } from "../../src/config/config";
import type { Database } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";
import { openPglite } from "../../src/db/pglite";
import { copyPgliteTemplate, describeEachEngine } from "../helpers/engines";
import { makeTempDir, removeTempDir } from "../helpers/tmp";
import { rejection } from "../helpers/rejection";
import { FORWARD_REQUEST_TYPES } from "../../src/relay/forwardRequest";

// Cheap scrypt for tests; the stored parameters are what later opens use.
const FAST_SCRYPT = { N: 2 ** 10, r: 8, p: 1 };
const passphrase = (text: string): KeystoreConfig => ({ source: "passphrase", passphrase: new Secret(text) });

const DOMAIN = { name: "FirstmileForwarder", version: "1", chainId: 31337, verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };

/** The keystore's tables emptied: a keystore opened next is a new one (migrated once per suite, not per test). */
async function emptyKeystore(db: Database): Promise<void> {
  await db.exec("delete from custodial_keys; delete from keystore_keks;");
}

describeEachEngine("keystore", (engine) => {
  let db: Database;
  let dir: string;
  before(async () => {
    db = await engine.openMigrated();
  });
  after(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await emptyKeystore(db);
    dir = makeTempDir("keystore");
  });
  afterEach(() => removeTempDir(dir));

  describe("with a passphrase", () => {
    let keystore: Keystore;
    beforeEach(async () => {
      ({ keystore } = await openKeystore({ db, config: passphrase("first passphrase, long enough"), scrypt: FAST_SCRYPT }));
    });

    it("creates accounts per member and lists them", async () => {
      const a1 = await keystore.createAccount(7n);
      const a2 = await keystore.createAccount(7);
      const b1 = await keystore.createAccount(8n);
      expect(new Set([a1, a2, b1]).size).to.equal(3);
      expect((await keystore.listAccounts(7n)).map((account) => account.address).sort()).to.deep.equal([a1, a2].sort());
      const [b] = await keystore.listAccounts(8n);
      expect(b).to.deep.include({ address: b1, memberId: 8n });
      expect(b!.createdAt).to.be.instanceOf(Date);
      expect(await keystore.listAccounts(9n)).to.deep.equal([]);
    });

    it("stores only the ciphertext: 61 bytes, no key material", async () => {
      const keys: string[] = [];
      ({ keystore } = await openKeystore({
        db,
        config: passphrase("first passphrase, long enough"),
        createWallet: () => {
          const wallet = Wallet.createRandom();
          keys.push(wallet.privateKey);
          return wallet;
        },
      }));
      const address = await keystore.createAccount(1n);
      const { rows } = await db.query<{ address: string; encrypted_key: Buffer }>("select address, encrypted_key from custodial_keys");
      expect(rows).to.have.length(1);
      expect(rows[0]!.address).to.equal(address.toLowerCase());
      expect(rows[0]!.encrypted_key.length).to.equal(61);
      expect(rows[0]!.encrypted_key.includes(Buffer.from(keys[0]!.slice(2), "hex"))).to.equal(false);
    });

    it("signs EIP-712 forward requests and messages that verify to the account", async () => {
      const address = await keystore.createAccount(3n);
      const signer = await keystore.signer(address);
      const request = { from: address, to: DOMAIN.verifyingContract, value: 0n, gas: 100000n, nonce: 0n, deadline: 2n ** 40n, data: "0x1234" };
      const signature = await signer.signTypedData(DOMAIN, FORWARD_REQUEST_TYPES, request);
      expect(verifyTypedData(DOMAIN, FORWARD_REQUEST_TYPES, request, signature)).to.equal(address);
      expect(TypedDataEncoder.hash(DOMAIN, FORWARD_REQUEST_TYPES, request)).to.match(/^0x[0-9a-f]{64}$/);
      expect(verifyMessage("hello", await signer.signMessage("hello"))).to.equal(address);
      expect(await signer.getAddress()).to.equal(address);
      // The lower-case address finds the same key.
      expect(await (await keystore.signer(address.toLowerCase())).getAddress()).to.equal(address);
    });

    it("refuses an unknown account and a non-address", async () => {
      const unknown = Wallet.createRandom().address;
      const error = await rejection(keystore.signer(unknown));
      expect(error).to.be.instanceOf(KeystoreUnknownAccountError);
      expect(error.message).to.contain(unknown);
      expect((await rejection(keystore.signer("0x1234"))).message).to.contain("Not an account address");
      expect((await rejection(keystore.createAccount(0n))).message).to.contain("Not a member id");
    });

    it("reopens with the same passphrase, and the keys still sign", async () => {
      const address = await keystore.createAccount(4n);
      const reopened = await openKeystore({ db, config: passphrase("first passphrase, long enough") });
      expect(reopened.keyFileCreated).to.equal(false);
      const signer = await reopened.keystore.signer(address);
      expect(verifyMessage("again", await signer.signMessage("again"))).to.equal(address);
    });

    it("fails to open with a wrong passphrase, with a clear error that does not echo it", async () => {
      await keystore.createAccount(4n);
      const error = await rejection(openKeystore({ db, config: passphrase("second passphrase, also long") }));
      expect(error).to.be.instanceOf(KeystoreKeyMismatchError);
      expect(error.message).to.contain("The keystore passphrase is wrong");
      expect(error.message).not.to.contain("second passphrase");
    });

    it("refuses a key file for a keystore created with a passphrase", async () => {
      const error = await rejection(openKeystore({ db, config: { source: "keyFile", keyFile: path.join(dir, "k"), create: true } }));
      expect(error).to.be.instanceOf(KeystoreKeyMismatchError);
      expect(error.message).to.contain("created with a passphrase, but a key file was given");
      expect(fs.existsSync(path.join(dir, "k"))).to.equal(false);
    });

    it("fails on a tampered ciphertext, and on a key moved to another address", async () => {
      const a = await keystore.createAccount(5n);
      const b = await keystore.createAccount(5n);
      await db.query("update custodial_keys set encrypted_key = set_byte(encrypted_key, 20, get_byte(encrypted_key, 20) # 1) where address = $1", [a.toLowerCase()]);
      const tampered = await rejection(keystore.signer(a));
      expect(tampered).to.be.instanceOf(KeystoreCorruptKeyError);
      expect(tampered.message).to.contain(`The stored key of account ${a} fails authentication`);
      // b's blob is intact, but under a's address the associated data no longer matches.
      await db.query("update custodial_keys set encrypted_key = (select encrypted_key from custodial_keys where address = $2) where address = $1", [a.toLowerCase(), b.toLowerCase()]);
      expect(await rejection(keystore.signer(a))).to.be.instanceOf(KeystoreCorruptKeyError);
      expect(await (await keystore.signer(b)).getAddress()).to.equal(b);
    });

    it("seals private records under a key of their own: a custodial key's blob does not open as a record, nor a record under other associated data", async () => {
      const address = (await keystore.createAccount(7n)).toLowerCase();
      const { rows } = await db.query<{ encrypted_key: Buffer }>("select encrypted_key from custodial_keys where address = $1", [address]);
      expect(keystore.records.open(rows[0]!.encrypted_key, Buffer.from(address, "utf8"))).to.equal(null);
      const blob = keystore.records.seal(Buffer.from("Siti Rahmawati"), Buffer.from("farmer f_1 name"));
      expect(blob.includes(Buffer.from("Siti"))).to.equal(false);
      expect(keystore.records.open(blob, Buffer.from("farmer f_1 name"))!.toString()).to.equal("Siti Rahmawati");
      expect(keystore.records.open(blob, Buffer.from("farmer f_2 name"))).to.equal(null);
      expect(inspect(keystore.records)).not.to.match(/[0-9a-f]{64}/);
    });

    it("prints the keystore and its signers without key material", async () => {
      const keys: string[] = [];
      ({ keystore } = await openKeystore({
        db,
        config: passphrase("first passphrase, long enough"),
        createWallet: () => {
          const wallet = Wallet.createRandom();
          keys.push(wallet.privateKey);
          return wallet;
        },
      }));
      const address = await keystore.createAccount(6n);
      const signer = await keystore.signer(address);
      expect(JSON.parse(JSON.stringify({ signer }))).to.deep.equal({ signer: { type: "CustodialSigner", address } });
      expect(inspect(signer, { depth: 10, showHidden: true })).to.equal(`CustodialSigner { address: '${address}' }`);
      expect(String(signer)).to.equal(`CustodialSigner(${address})`);
      expect(Object.keys(signer)).not.to.include("privateKey");
      expect((signer as unknown as Record<string, unknown>).privateKey).to.equal(undefined);
      const printed = [JSON.stringify(keystore), inspect(keystore, { depth: 10, showHidden: true }), inspect(signer.connect(null), { depth: 10 })].join("\n");
      expect(printed).not.to.contain(keys[0]!.slice(2));
    });
  });

  describe("with a key file", () => {
    it("generates the file on first start (mode 0600, 64 hex) and says so", async () => {
      const keyFile = path.join(dir, "nested", "keystore.key");
      const first = await openKeystore({ db, config: { source: "keyFile", keyFile, create: true } });
      expect(first.keyFileCreated).to.equal(true);
      expect(first.notices.join("\n")).to.contain(`generated a new keystore key file ${keyFile} (mode 0600)`);
      expect(fs.statSync(keyFile).mode & 0o777).to.equal(0o600);
      expect(fs.readFileSync(keyFile, "utf8")).to.match(/^[0-9a-f]{64}\n$/);
      const address = await first.keystore.createAccount(1n);

      const second = await openKeystore({ db, config: { source: "keyFile", keyFile, create: true } });
      expect(second.keyFileCreated).to.equal(false);
      expect(second.notices).to.deep.equal([]);
      expect(await (await second.keystore.signer(address)).getAddress()).to.equal(address);
    });

    it("refuses another key file, and does not generate one for an existing keystore", async () => {
      const keyFile = path.join(dir, "keystore.key");
      await openKeystore({ db, config: { source: "keyFile", keyFile, create: true } });
      const other = path.join(dir, "other.key");
      fs.writeFileSync(other, `0x${"ab".repeat(32)}\n`, { mode: 0o600 });
      const wrong = await rejection(openKeystore({ db, config: { source: "keyFile", keyFile: other, create: false } }));
      expect(wrong).to.be.instanceOf(KeystoreKeyMismatchError);
      expect(wrong.message).to.contain(`The keystore key file ${other} is wrong`);
      fs.rmSync(keyFile);
      const missing = await rejection(openKeystore({ db, config: { source: "keyFile", keyFile, create: true } }));
      expect(missing).to.be.instanceOf(KeystoreKeyFileError);
      expect(fs.existsSync(keyFile)).to.equal(false);
    });

    it("accepts 32 raw bytes, refuses anything else, and warns about a file others can read", async () => {
      const raw = path.join(dir, "raw.key");
      fs.writeFileSync(raw, Buffer.alloc(32, 7), { mode: 0o644 });
      fs.chmodSync(raw, 0o644);
      const opened = await openKeystore({ db, config: { source: "keyFile", keyFile: raw, create: false } });
      expect(opened.notices.join("\n")).to.contain("readable by others (mode 644)");
      const bad = path.join(dir, "bad.key");
      fs.writeFileSync(bad, "not a key");
      await emptyKeystore(db);
      expect((await rejection(openKeystore({ db, config: { source: "keyFile", keyFile: bad, create: false } }))).message).to.contain("does not hold a 32-byte key");
    });
  });
});

describe("keystore: no private key on disk or in the log", () => {
  let cwd: string;
  after(() => removeTempDir(cwd));

  it("finds none of the generated keys anywhere in the data dir, PGlite's files and the debug log included", async () => {
    cwd = makeTempDir("keystore-leak");
    const config = loadConfig({ env: { FIRSTMILE_DATA_DIR: "data", FIRSTMILE_LOG_LEVEL: "debug" }, cwd });
    expect(config.database.engine).to.equal("pglite");
    const logFile = path.join(config.dataDir, "gateway.log");
    fs.mkdirSync(config.dataDir, { recursive: true });
    const destination = pino.destination({ dest: logFile, sync: true });
    const logger = pino({ level: config.log.level }, destination);

    const pgdata = config.database.engine === "pglite" ? config.database.dir : "";
    await copyPgliteTemplate(pgdata);
    const db = await openPglite({ dir: pgdata });
    const keys: string[] = [];
    try {
      await migrate(db);
      const { keystore, notices } = await openKeystore({
        db,
        config: config.keystore,
        logger,
        createWallet: () => {
          const wallet = Wallet.createRandom();
          keys.push(wallet.privateKey);
          return wallet;
        },
      });
      logger.info({ notices }, "keystore open");
      for (let i = 0; i < 5; i++) {
        const address = await keystore.createAccount(BigInt(i + 1));
        const signer = await keystore.signer(address);
        const signature = await signer.signTypedData(DOMAIN, FORWARD_REQUEST_TYPES, {
          from: address, to: DOMAIN.verifyingContract, value: 0n, gas: 50000n, nonce: BigInt(i), deadline: 2n ** 40n, data: "0x",
        });
        // Whatever careless code might log: the signer, the keystore, the config, an error.
        logger.debug({ signer, keystore, signature, config }, "signed a forward request");
        logger.debug(`signer ${inspect(signer)} keystore ${inspect(keystore)}`);
        logger.error({ err: await rejection(keystore.signer(Wallet.createRandom().address)) }, "lookup failed");
      }
      await db.query("checkpoint");
    } finally {
      await db.close();
      destination.flushSync();
    }
    expect(keys).to.have.length(5);
    expect(fs.readFileSync(logFile, "utf8")).to.contain("signed a forward request");

    const files = (fs.readdirSync(config.dataDir, { recursive: true }) as string[])
      .map((name) => path.join(config.dataDir, name))
      .filter((file) => fs.statSync(file).isFile());
    expect(files.some((file) => file.startsWith(path.join(config.dataDir, "pgdata")))).to.equal(true);
    expect(files).to.include(logFile);
    for (const file of files) {
      const content = fs.readFileSync(file);
      const text = content.toString("latin1").toLowerCase();
      for (const key of keys) {
        const hex = key.slice(2).toLowerCase();
        expect(text.includes(hex), `${key.slice(0, 6)}... as hex in ${file}`).to.equal(false);
        expect(text.includes(`0x${hex}`), `0x-prefixed key in ${file}`).to.equal(false);
        expect(content.includes(Buffer.from(hex, "hex")), `raw key bytes in ${file}`).to.equal(false);
      }
    }
  });
});
