import { z } from "zod";
import { attestationCallSchemas, uidSchema } from "../relay/attestationCalls";
import { accepted, createCustodialIntake, type RelayRoutesParameters } from "./relayRoutes";
import { defineRoute, type AnyRoute } from "./routes";

/**
 * The attestation registry's writes, made for certifier members with their custodial keys: attest
 * one subject, attest many for one scheme, revoke. Like the lot writes, each request is written to
 * the outbox (with its `Idempotency-Key`) before the `202 Accepted`; `GET /v1/requests/:id`
 * follows it to mined, with the new attestation `uids` (or the `revoked` uid) in its outputs, or
 * to failed with the contract's decoded error (e.g. `AttestationRegistryNotAccredited`).
 */
export type AttestationRoutesParameters = Pick<RelayRoutesParameters, "writer" | "keystore" | "maxAttempts" | "crash">;

const revokeParams = z.object({ uid: uidSchema });
const revokeBody = attestationCallSchemas["attestations.revoke"].omit({ uid: true });

export function createAttestationRoutes(parameters: AttestationRoutesParameters): AnyRoute[] {
  const { accept } = createCustodialIntake(parameters);
  return [
    defineRoute({
      method: "post",
      path: "/v1/attestations",
      summary: "attest a lot, plot or member for a scheme (an accredited certifier; mined outputs carry the uid)",
      auth: "member",
      body: attestationCallSchemas["attestations.attest"],
      responses: accepted,
      handler: async ({ body, memberId }, req, res) => accept("attestations.attest", memberId, body, req, res),
    }),
    defineRoute({
      method: "post",
      path: "/v1/attestations/batch",
      summary: "attest up to 500 subjects for one scheme in one call (an audit of many farms); mined outputs carry the uids in order",
      auth: "member",
      body: attestationCallSchemas["attestations.attestBatch"],
      responses: accepted,
      handler: async ({ body, memberId }, req, res) => accept("attestations.attestBatch", memberId, body, req, res),
    }),
    defineRoute({
      method: "post",
      path: "/v1/attestations/:uid/revoke",
      summary: "revoke an attestation of your member (or any, as a governor) with a reason code",
      auth: "member",
      params: revokeParams,
      body: revokeBody,
      responses: accepted,
      handler: async ({ params, body, memberId }, req, res) => {
        const payload = { ...body, uid: params.uid };
        return accept("attestations.revoke", memberId, payload, req, res);
      },
    }),
  ];
}
