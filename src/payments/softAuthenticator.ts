import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

/**
 * A WebAuthn authenticator in software: a real P-256 key, real authenticatorData and
 * clientDataJSON, an ES256 signature, as a phone's platform authenticator makes them (attestation
 * "none"). The demo seeds its passkey confirmations with it through the gateway's own verifier,
 * where a browser's virtual authenticator would be too slow to start; the tests use Chromium's.
 * Never a way for a cooperative to confirm for a farmer in production: the key would be the
 * cooperative's, which is why the demo says which confirmations it made so.
 */
export type SoftCredential = { id: string; privateKey: KeyObject; x: Buffer; y: Buffer; counter: number };

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys: maps, ints, bytes, text. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65_536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (typeof value === "string") return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new TypeError(`no CBOR for ${typeof value}`);
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest();
const clientData = (type: string, challenge: string, origin: string) => Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

export function createSoftCredential(): SoftCredential {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" });
  return { id: randomBytes(16).toString("base64url"), privateKey, x: Buffer.from(jwk.x!, "base64url"), y: Buffer.from(jwk.y!, "base64url"), counter: 0 };
}

/** The browser's answer to registration options (`navigator.credentials.create`), as JSON. */
export function softRegistration(credential: SoftCredential, options: { challenge: string; rp: { id?: string } }, origin: string) {
  const rpId = options.rp.id ?? new URL(origin).hostname;
  const coseKey = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, credential.x], [-3, credential.y]]));
  const idBytes = Buffer.from(credential.id, "base64url");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(idBytes.length);
  // Flags: user present (0x01), user verified (0x04), attested credential data (0x40).
  const authData = Buffer.concat([sha256(rpId), Buffer.from([0x45]), Buffer.alloc(4), Buffer.alloc(16), length, idBytes, coseKey]);
  const attestationObject = cbor(new Map<string, unknown>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
  return {
    id: credential.id,
    rawId: credential.id,
    type: "public-key" as const,
    clientExtensionResults: {},
    response: {
      clientDataJSON: clientData("webauthn.create", options.challenge, origin).toString("base64url"),
      attestationObject: attestationObject.toString("base64url"),
      transports: ["internal"],
    },
  };
}

/** The browser's answer to authentication options (`navigator.credentials.get`), signed, as JSON. */
export function softAssertion(credential: SoftCredential, options: { challenge: string; rpId?: string }, origin: string) {
  credential.counter += 1;
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(credential.counter);
  const authData = Buffer.concat([sha256(options.rpId ?? new URL(origin).hostname), Buffer.from([0x05]), counter]);
  const clientDataJSON = clientData("webauthn.get", options.challenge, origin);
  const signature = sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey);
  return {
    id: credential.id,
    rawId: credential.id,
    type: "public-key" as const,
    clientExtensionResults: {},
    response: { clientDataJSON: clientDataJSON.toString("base64url"), authenticatorData: authData.toString("base64url"), signature: signature.toString("base64url") },
  };
}
