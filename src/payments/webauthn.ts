import type * as WebAuthn from "@simplewebauthn/server";

/**
 * @simplewebauthn/server, loaded by the first passkey registered or checked: with its X.509 and
 * ASN.1 parsers it costs about 0.2 s of CPU to load, which every gateway start and CLI command
 * paid for pages most of them never serve.
 */
export const webauthn = (): typeof WebAuthn => require("@simplewebauthn/server") as typeof WebAuthn;
