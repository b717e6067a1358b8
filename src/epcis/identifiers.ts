import { createHash } from "node:crypto";
import { BATCH_PATTERN, checkGtin } from "../products";

/**
 * The identifiers an EPCIS export names things by. Lots are class-level: a lot named as a product
 * is its GS1 Digital Link URI (`{base}/01/{gtin-14}/10/{batch}`), any other lot the gateway's own
 * lot URI (`{base}/l/{lotId}`); both resolve to the lot's public page. Members are
 * `{base}/v1/members/{id}`; an account no member holds is a CAIP-10 `did:pkh` of the chain.
 */
export type IdentifierBase = {
  /** The gateway's public base URL, no trailing slash. */
  publicBase: string;
  chainId: bigint | string;
};

/** GS1 AI (10) batch in a URI path: percent-encoded except unreserved characters (RFC 3986). */
export function encodeBatch(batch: string): string {
  return encodeURIComponent(batch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function digitalLinkUri(publicBase: string, gtin14: string, batch: string): string {
  return `${publicBase}/01/${gtin14}/10/${encodeBatch(batch)}`;
}

export function lotUri(publicBase: string, lotId: string): string {
  return `${publicBase}/l/${lotId}`;
}

export function memberUri(base: IdentifierBase, memberId: string | undefined, account: string): string {
  return memberId === undefined ? `did:pkh:eip155:${base.chainId}:${account.toLowerCase()}` : `${base.publicBase}/v1/members/${memberId}`;
}

/** An attestation by uid, as the attestation registry of the chain holds it (`getAttestation(uid)`). */
export function attestationUri(base: IdentifierBase, uid: string): string {
  return `urn:firstmile:attestation:${base.chainId}:${uid.toLowerCase()}`;
}

/** Namespace of the event ids below (RFC 9562 name-based UUIDs); fixed forever, or every id changes. */
export const EPCIS_EVENT_NAMESPACE = "703d3b51-f67f-4a83-aadb-11244ed78df7";

/**
 * A stable event id: the RFC 9562 version-5 UUID (SHA-1, name-based) of
 * `{chainId}/{txHash}/{logIndex}/{lotId}` in {@link EPCIS_EVENT_NAMESPACE}, as `urn:uuid:`.
 * The log and lot name the event on chain (a batch mint is one log for many lots); a split, merge
 * or transform is named by its first output's `derived` log. The same event gets the same id from
 * any gateway, at any time.
 */
export function epcisEventId(chainId: bigint | string, txHash: string, logIndex: number, lotId: string): string {
  return `urn:uuid:${uuidV5(EPCIS_EVENT_NAMESPACE, `${chainId}/${txHash.toLowerCase()}/${logIndex}/${lotId}`)}`;
}

/** RFC 9562 version-5 (SHA-1, name-based) UUID of `name` (UTF-8) in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What a class-level identifier in a query names: a lot, or a product (GTIN-14, batch). */
export type LotIdentifier = { kind: "lot"; lotId: string } | { kind: "product"; gtin14: string; batch: string };

/**
 * Reads an identifier a trading partner sends back: a lot URI (`…/l/{lotId}`) or a GS1 Digital
 * Link URI (`…/01/{gtin}/10/{batch}`) of any host (the host is where the partner got it, not part
 * of the lot's name). Null when it is neither.
 */
export function parseLotIdentifier(value: string): LotIdentifier | null {
  let path: string;
  try {
    path = new URL(value).pathname;
  } catch {
    return null;
  }
  const lot = /\/l\/([1-9]\d{0,18})$/.exec(path);
  if (lot) return { kind: "lot", lotId: lot[1]! };
  const link = /\/01\/(\d{8,14})\/10\/([^/]+)$/.exec(path);
  if (!link) return null;
  let batch: string;
  try {
    batch = decodeURIComponent(link[2]!);
  } catch {
    return null;
  }
  const gtin = checkGtin(link[1]!);
  if (!gtin.ok || !BATCH_PATTERN.test(batch)) return null;
  return { kind: "product", gtin14: gtin.gtin14, batch };
}
