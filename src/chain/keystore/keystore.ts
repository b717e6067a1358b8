import { Wallet, getAddress, isAddress, type Provider } from "ethers";
import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import type { KeystoreConfig } from "../../config/config";
import type { Database, Queryable } from "../../db/database";
import { open, seal } from "./cipher";
import { CustodialSigner } from "./custodialSigner";
import {
  KeystoreCorruptKeyError,
  KeystoreError,
  KeystoreKeyMismatchError,
  KeystoreUnknownAccountError,
} from "./errors";
import { DEFAULT_SCRYPT, deriveFromKeyFile, deriveFromPassphrase, deriveRecordsKey, newSalt, readKeyFile, type ScryptParameters } from "./keyEncryptionKey";

/** The little a keystore logs: events and addresses, never key material. pino's logger fits. */
export type KeystoreLogger = { debug(object: object, message: string): void; info(object: object, message: string): void };

export type OpenKeystoreParameters = {
  db: Database;
  config: KeystoreConfig;
  /** scrypt cost for a keystore created now (an existing one keeps its own). Tests lower it. */
  scrypt?: ScryptParameters | undefined;
  /** Makes a new account's key; defaults to 32 random bytes (`randomPrivateKey`). */
  createWallet?: (() => { privateKey: string }) | undefined;
  logger?: KeystoreLogger | undefined;
};

export type OpenKeystoreReturnType = {
  keystore: Keystore;
  /** True if this start generated the key file (embedded profile, first start). */
  keyFileCreated: boolean;
  /** Lines to print at start: a generated key file, a key file others can read. */
  notices: string[];
};

export type CustodialAccount = { address: string; memberId: bigint; createdAt: Date };

/**
 * Seals and opens the gateway's private records (a farmer's personal fields, a private document's
 * data key) under the key-encryption key, without handing the key out. The same sealed-box format
 * as a custodial key (cipher.ts), under a key derived from the KEK for records only, so no record
 * can be opened as, or passed off for, a custodial key.
 */
export type RecordSealer = {
  seal(plaintext: Buffer, associatedData: Buffer): Buffer;
  /** The plaintext, or null if the blob fails authentication (wrong key, tampered, moved). */
  open(blob: Buffer, associatedData: Buffer): Buffer | null;
};

/**
 * Re-seals one kind of private record during `Keystore.rotate`, inside its transaction: opens
 * each with `from`, seals it with `to`, and returns how many it re-sealed. Throws (and so rolls
 * the whole rotation back) if one does not open.
 */
export type RecordResealer = { name: string; reseal(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> };

const KEK_ID = 1;
const CHECK_PLAINTEXT = Buffer.from("firstmile keystore check v1", "utf8");
const CHECK_AAD = Buffer.from("firstmile keystore check", "utf8");

/**
 * Opens the custodial keystore: derives the key-encryption key once (scrypt from the passphrase,
 * or HKDF from the key file) and checks it against the value stored when the keystore was
 * created, so a wrong passphrase stops the start instead of failing at the first signature.
 *
 * @throws {KeystoreKeyMismatchError} wrong passphrase or key file, or the other kind than at creation.
 * @throws {KeystoreKeyFileError} key file missing (and not to be created), unreadable or malformed.
 */
export async function openKeystore(parameters: OpenKeystoreParameters): Promise<OpenKeystoreReturnType> {
  const { db, config } = parameters;
  const notices: string[] = [];
  const kdf = config.source === "passphrase" ? "scrypt" : "key-file";
  const stored = await readKekRow(db);
  if (stored && stored.kdf !== kdf) {
    throw new KeystoreKeyMismatchError(
      stored.kdf === "scrypt"
        ? "The keystore was created with a passphrase, but a key file was given"
        : "The keystore was created with a key file, but a passphrase was given",
      { metaMessages: [stored.kdf === "scrypt" ? "Set FIRSTMILE_KEYSTORE_PASSPHRASE." : "Set FIRSTMILE_KEYSTORE_KEY_FILE."] },
    );
  }

  let kek: Buffer;
  let kdfParams: Record<string, unknown> = {};
  let keyFileCreated = false;
  if (config.source === "passphrase") {
    const params = stored ? scryptParamsOf(stored.kdf_params) : { salt: newSalt().toString("hex"), ...(parameters.scrypt ?? DEFAULT_SCRYPT) };
    kdfParams = params;
    kek = await deriveFromPassphrase(config.passphrase.reveal(), Buffer.from(params.salt, "hex"), params);
  } else {
    const file = readKeyFile(config.keyFile, { create: config.create && !stored });
    keyFileCreated = file.created;
    notices.push(...file.warnings);
    if (file.created) {
      notices.push(`generated a new keystore key file ${config.keyFile} (mode 0600); back it up: without it the custodial keys cannot be used`);
    }
    kek = deriveFromKeyFile(file.key);
    file.key.fill(0);
  }

  if (stored) {
    const check = open(kek, stored.check_blob, CHECK_AAD);
    if (!check || !check.equals(CHECK_PLAINTEXT)) {
      kek.fill(0);
      throw new KeystoreKeyMismatchError(
        config.source === "passphrase"
          ? "The keystore passphrase is wrong: it does not open the keystore in this database"
          : `The keystore key file ${config.keyFile} is wrong: it does not open the keystore in this database`,
        { metaMessages: ["Use the passphrase or key file the keystore was created with."] },
      );
    }
  } else {
    // First start: record how the key is derived and a check value. A concurrent first start on
    // the same database loses the insert and must then pass the check like any later start.
    const inserted = await db.query(
      `insert into keystore_keks (id, kdf, kdf_params, check_blob) values ($1, $2, $3::jsonb, $4)
       on conflict (id) do nothing`,
      [KEK_ID, kdf, JSON.stringify(kdfParams), seal(kek, CHECK_PLAINTEXT, CHECK_AAD)],
    );
    if (inserted.rowCount === 0) {
      kek.fill(0);
      return openKeystore(parameters);
    }
    parameters.logger?.info({ kdf }, "custodial keystore created");
  }

  const keystore = new Keystore(db, kek, parameters.createWallet ?? randomPrivateKey, parameters.logger);
  return { keystore, keyFileCreated, notices };
}

/** The order of secp256k1: a private key is an integer in [1, n). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * A new account's key: 32 random bytes, drawn again in the (2^-128) case that they are not a valid
 * secp256k1 key. Not `Wallet.createRandom()`: that makes an HD wallet (a 128-bit mnemonic, 2,048
 * PBKDF2 rounds for its seed, a BIP-32 path of five derivations), a third of a second of CPU whose
 * mnemonic and path are thrown away, for a key of less entropy than this one.
 */
function randomPrivateKey(): { privateKey: string } {
  for (;;) {
    const key = randomBytes(32).toString("hex");
    const scalar = BigInt(`0x${key}`);
    if (scalar > 0n && scalar < SECP256K1_N) return { privateKey: `0x${key}` };
  }
}

/**
 * Custodial keys of member accounts, encrypted at rest in `custodial_keys`. Holds the
 * key-encryption key in a private field; prints as `Keystore { [redacted] }`.
 */
export class Keystore {
  readonly #db: Database;
  #kek: Buffer;
  readonly #createWallet: () => { privateKey: string };
  readonly #logger: KeystoreLogger | undefined;
  #records: RecordSealer;

  constructor(db: Database, kek: Buffer, createWallet: () => { privateKey: string }, logger?: KeystoreLogger) {
    this.#db = db;
    this.#kek = kek;
    this.#records = recordSealer(kek);
    this.#createWallet = createWallet;
    this.#logger = logger;
  }

  /**
   * Generates a key for a new account of `memberId` and stores it encrypted. Pass `tx` to do it
   * inside a larger transaction. Returns the account's (checksummed) address.
   */
  async createAccount(memberId: bigint | number, tx: Queryable = this.#db): Promise<string> {
    const member = toMemberId(memberId);
    const wallet = new Wallet(this.#createWallet().privateKey);
    const address = wallet.address.toLowerCase();
    const key = Buffer.from(wallet.privateKey.slice(2), "hex");
    try {
      await tx.query("insert into custodial_keys (address, member_id, kek_id, encrypted_key) values ($1, $2, $3, $4)", [
        address,
        member,
        KEK_ID,
        seal(this.#kek, key, Buffer.from(address, "utf8")),
      ]);
    } finally {
      key.fill(0);
    }
    this.#logger?.debug({ memberId: member.toString(), address: wallet.address }, "custodial account created");
    return wallet.address;
  }

  /** The accounts of `memberId`, oldest first. */
  async listAccounts(memberId: bigint | number): Promise<CustodialAccount[]> {
    const { rows } = await this.#db.query<{ address: string; member_id: bigint; created_at: Date }>(
      "select address, member_id, created_at from custodial_keys where member_id = $1 order by created_at, address",
      [toMemberId(memberId)],
    );
    return rows.map((row) => ({ address: getAddress(row.address), memberId: row.member_id, createdAt: row.created_at }));
  }

  /**
   * A signer for a custodial account, optionally connected to `provider`.
   *
   * @throws {KeystoreUnknownAccountError} no key stored for the address.
   * @throws {KeystoreCorruptKeyError} the stored key fails authentication (tampered).
   */
  async signer(address: string, provider: Provider | null = null): Promise<CustodialSigner> {
    if (!isAddress(address)) throw new KeystoreError(`Not an account address: ${JSON.stringify(String(address).slice(0, 64))}`);
    const normalized = address.toLowerCase();
    const { rows } = await this.#db.query<{ encrypted_key: Buffer }>("select encrypted_key from custodial_keys where address = $1", [normalized]);
    if (rows.length === 0) throw new KeystoreUnknownAccountError(getAddress(normalized));
    const key = open(this.#kek, rows[0]!.encrypted_key, Buffer.from(normalized, "utf8"));
    if (!key || key.length !== 32) {
      throw new KeystoreCorruptKeyError(`The stored key of account ${getAddress(normalized)} fails authentication`, {
        metaMessages: ["Its ciphertext or address was altered in the database; the key cannot be used."],
      });
    }
    let wallet: Wallet;
    try {
      wallet = new Wallet(`0x${key.toString("hex")}`);
    } finally {
      key.fill(0);
    }
    if (wallet.address.toLowerCase() !== normalized) {
      throw new KeystoreCorruptKeyError(`The stored key of account ${getAddress(normalized)} belongs to another address`);
    }
    return new CustodialSigner(wallet, provider);
  }

  /**
   * The sealer of private records under the current key-encryption key. It follows a rotation:
   * what it seals afterwards is sealed under the new key.
   */
  get records(): RecordSealer {
    return {
      seal: (plaintext, associatedData) => this.#records.seal(plaintext, associatedData),
      open: (blob, associatedData) => this.#records.open(blob, associatedData),
    };
  }

  /**
   * Re-encrypts every custodial key under a new key-encryption key, derived from `next` (a new
   * passphrase, with a new salt, or a key file, generated if it does not exist), in one
   * transaction: the keys, the private records of each `resealers` entry (farmers' fields, document
   * keys), the stored derivation and its check value change together or not at all. Afterwards only
   * the new key opens the keystore. Run it with the gateway stopped (a running one keeps the old
   * key until it restarts). Returns how many keys were re-encrypted, and records per resealer.
   *
   * @throws {KeystoreCorruptKeyError} a stored key fails authentication under the current key (nothing changed).
   */
  async rotate(
    next: KeystoreConfig,
    options: { scrypt?: ScryptParameters | undefined; resealers?: readonly RecordResealer[] | undefined } = {},
  ): Promise<{ rotated: number; resealed: Record<string, number>; keyFileCreated: boolean }> {
    let kek: Buffer;
    let kdfParams: Record<string, unknown> = {};
    let keyFileCreated = false;
    if (next.source === "passphrase") {
      const params = { salt: newSalt().toString("hex"), ...(options.scrypt ?? DEFAULT_SCRYPT) };
      kdfParams = params;
      kek = await deriveFromPassphrase(next.passphrase.reveal(), Buffer.from(params.salt, "hex"), params);
    } else {
      const file = readKeyFile(next.keyFile, { create: true });
      keyFileCreated = file.created;
      kek = deriveFromKeyFile(file.key);
      file.key.fill(0);
    }
    const old = this.#kek;
    const resealed: Record<string, number> = {};
    const rotated = await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<{ address: string; encrypted_key: Buffer }>("select address, encrypted_key from custodial_keys order by address for update");
      for (const row of rows) {
        const aad = Buffer.from(row.address, "utf8");
        const key = open(old, row.encrypted_key, aad);
        if (!key || key.length !== 32) {
          throw new KeystoreCorruptKeyError(`The stored key of account ${getAddress(row.address)} fails authentication; nothing was re-encrypted`);
        }
        try {
          await tx.query("update custodial_keys set encrypted_key = $2 where address = $1", [row.address, seal(kek, key, aad)]);
        } finally {
          key.fill(0);
        }
      }
      for (const resealer of options.resealers ?? []) {
        resealed[resealer.name] = await resealer.reseal(tx, this.#records, recordSealer(kek));
      }
      await tx.query("update keystore_keks set kdf = $2, kdf_params = $3::jsonb, check_blob = $4 where id = $1", [
        KEK_ID,
        next.source === "passphrase" ? "scrypt" : "key-file",
        JSON.stringify(kdfParams),
        seal(kek, CHECK_PLAINTEXT, CHECK_AAD),
      ]);
      return rows.length;
    });
    this.#kek = kek;
    this.#records = recordSealer(kek);
    old.fill(0);
    this.#logger?.info({ rotated, resealed }, "custodial keystore key rotated");
    return { rotated, resealed, keyFileCreated };
  }

  toJSON(): string {
    return "Keystore([redacted])";
  }

  [inspect.custom](): string {
    return "Keystore { [redacted] }";
  }
}

function recordSealer(kek: Buffer): RecordSealer {
  const key = deriveRecordsKey(kek);
  return { seal: (plaintext, associatedData) => seal(key, plaintext, associatedData), open: (blob, associatedData) => open(key, blob, associatedData) };
}

type KekRow = { kdf: "scrypt" | "key-file"; kdf_params: Record<string, unknown>; check_blob: Buffer };

async function readKekRow(db: Database): Promise<KekRow | null> {
  const { rows } = await db.query<KekRow>("select kdf, kdf_params, check_blob from keystore_keks where id = $1", [KEK_ID]);
  return rows[0] ?? null;
}

function scryptParamsOf(params: Record<string, unknown>): ScryptParameters & { salt: string } {
  const { salt, N, r, p } = params;
  if (typeof salt !== "string" || !/^[0-9a-f]{32,}$/.test(salt) || ![N, r, p].every((n) => Number.isSafeInteger(n) && (n as number) > 0)) {
    throw new KeystoreError("The keystore's stored scrypt parameters are malformed");
  }
  return { salt, N: N as number, r: r as number, p: p as number };
}

function toMemberId(memberId: bigint | number): bigint {
  const id = typeof memberId === "bigint" ? memberId : Number.isSafeInteger(memberId) ? BigInt(memberId) : -1n;
  if (id <= 0n || id >= 2n ** 64n) throw new KeystoreError(`Not a member id: ${String(memberId)} (expected 1 .. 2^64-1)`);
  return id;
}
