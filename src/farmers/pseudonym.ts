import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import { FarmerRecordCorruptError } from "./errors";

/**
 * A farmer's pseudonym: HMAC-SHA-256 of the farmer's id under a key of the cooperative that
 * registered the farmer. It is the only name of a farmer that may reach the chain or a public
 * page: stable for the farmer's life in that cooperative, and without the cooperative's key it
 * neither reveals the farmer nor links the farmer's pseudonyms across cooperatives.
 *
 * The cooperative's key comes from its secret (`member_secrets`: 32 random bytes, sealed under the
 * key-encryption key). A key rotation re-seals the secret; the secret, and so every pseudonym,
 * stays the same.
 */
export function farmerPseudonym(memberSecret: Buffer, farmerId: string): string {
  return pseudonymizer(memberSecret)(farmerId);
}

/** `farmerPseudonym` for many farmers of one cooperative: the key derived once. */
export function pseudonymizer(memberSecret: Buffer): (farmerId: string) => string {
  const key = Buffer.from(hkdfSync("sha256", memberSecret, Buffer.alloc(0), "firstmile farmer pseudonym v1", 32));
  return (farmerId) => createHmac("sha256", key).update(`farmer:${farmerId}`).digest("hex");
}

const secretAad = (memberId: bigint) => Buffer.from(`firstmile member secret v1|${memberId}`, "utf8");

/** The cooperative's secret, made (and sealed) on first use. */
export async function memberSecret(db: Queryable, sealer: RecordSealer, memberId: bigint): Promise<Buffer> {
  const read = async () => {
    const { rows } = await db.query<{ sealed_secret: Buffer }>("select sealed_secret from member_secrets where member_id = $1", [memberId.toString()]);
    if (rows.length === 0) return null;
    const secret = sealer.open(rows[0]!.sealed_secret, secretAad(memberId));
    if (!secret || secret.length !== 32) throw new FarmerRecordCorruptError(`the sealed secret of member ${memberId} does not open under the keystore's key`);
    return secret;
  };
  const existing = await read();
  if (existing) return existing;
  const fresh = randomBytes(32);
  await db.query("insert into member_secrets (member_id, sealed_secret) values ($1, $2) on conflict (member_id) do nothing", [
    memberId.toString(),
    sealer.seal(fresh, secretAad(memberId)),
  ]);
  // A concurrent first use may have won the insert: its secret is the one.
  return (await read())!;
}

/** Re-seals every cooperative secret (key rotation); returns how many. */
export async function resealMemberSecrets(tx: Queryable, from: RecordSealer, to: RecordSealer): Promise<number> {
  const { rows } = await tx.query<{ member_id: bigint; sealed_secret: Buffer }>("select member_id, sealed_secret from member_secrets order by member_id for update");
  for (const row of rows) {
    const aad = secretAad(BigInt(row.member_id));
    const secret = from.open(row.sealed_secret, aad);
    if (!secret) throw new FarmerRecordCorruptError(`the sealed secret of member ${row.member_id} does not open under the current key; nothing was re-encrypted`);
    await tx.query("update member_secrets set sealed_secret = $2 where member_id = $1", [row.member_id.toString(), to.seal(secret, aad)]);
  }
  return rows.length;
}
