import { getAddress, type JsonRpcProvider } from "ethers";
import { z } from "zod";
import { lotRegistryInterface } from "../chain/contracts";
import type { Keystore } from "../chain/keystore";
import type { Database } from "../db";
import { applyFieldRecord, createEnrolment, FieldRecordError, recordEnrolmentResult, redeemEnrolment, verifyFieldRecord } from "../field";
import { FarmerCodeTakenError } from "../farmers";
import { PaymentInputError } from "../payments";
import { PlotRegistrationError, type PlotRegistry } from "../origins";
import type { OutboxWriter } from "../relay/outbox";
import { addressSchema } from "../relay/lotCalls";
import { forwarderDomain } from "../relay/forwardRequest";
import { qrSvg } from "../web/qr";
import { bearerToken, issueApiToken, tokenIdFor } from "./apiTokens";
import { ApiError, problem, type ErrorMapper } from "./problem";
import { requestView } from "./relayRoutes";
import { defineRoute, type AnyRoute } from "./routes";

/**
 * The field app's API (docs/field-app.md): a cooperative's enrolment links for its agents'
 * phones, the phone's enrolment (its address attached to the cooperative on chain by the
 * cooperative's own custodial key; the phone gets an API token), and the private records the
 * phone signed offline. Deliveries go through `POST /v1/relay` as the phone's own ForwardRequests.
 */
export type CreateFieldRoutesParameters = {
  db: Database;
  writer: OutboxWriter;
  keystore: Keystore;
  provider: JsonRpcProvider;
  plots: PlotRegistry;
  chainId: bigint;
  forwarder: string;
  registry: string;
  maxAttempts: number;
  /** Base URL the enrolment link points at. */
  publicBase: () => string;
  requireCooperative: (memberId: bigint) => Promise<void>;
};

const enrolmentBody = z.strictObject({
  label: z.string().trim().max(80).default("").describe("who the phone is for, e.g. the field agent's name"),
  ttlMinutes: z.number().int().min(5).max(7 * 24 * 60).default(24 * 60).describe("how long the link may be used (once)"),
});
const enrolBody = z.strictObject({
  token: z.string().min(1).max(100).describe("the enrolment token of the link (fe_...)"),
  address: addressSchema.describe("the address of the key the phone made; the key never leaves the phone"),
});
const recordBody = z.strictObject({
  message: z.string().min(2).max(20_000).describe("the JSON text the phone signed"),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "signature: 65 bytes of 0x hex"),
});

export function createFieldRoutes(parameters: CreateFieldRoutesParameters): AnyRoute[] {
  const { db, writer, keystore, provider, plots, registry } = parameters;
  const domain = { ...forwarderDomain(parameters.chainId, parameters.forwarder), chainId: parameters.chainId.toString() };

  /**
   * The member an account belongs to while it may act (active account of an active member), else
   * 0; remembered for 10 s (a phone syncing sends hundreds of records in a row), so a phone
   * suspended on chain is refused here at most 10 s later.
   */
  const owners = new Map<string, { memberId: bigint; at: number }>();
  const memberOfAccount = async (account: string) => {
    const known = owners.get(account);
    if (known && Date.now() - known.at < 10_000) return known.memberId;
    const answer = await provider.call({ to: registry, data: lotRegistryInterface.encodeFunctionData("accountOf", [account]) });
    const [memberId, , effectiveRoles] = lotRegistryInterface.decodeFunctionResult("accountOf", answer) as unknown as [bigint, boolean, bigint];
    const owner = effectiveRoles === 0n ? 0n : memberId;
    if (owners.size > 10_000) owners.clear();
    owners.set(account, { memberId: owner, at: Date.now() });
    return owner;
  };

  return [
    defineRoute({
      method: "post",
      path: "/v1/field/enrolments",
      summary: "a one-time enrolment link (and its QR code) for a field agent's phone of your cooperative",
      auth: "member",
      body: enrolmentBody,
      responses: { 201: { description: "{token, url, qrSvg, expiresAt}" }, 403: { description: "not an active cooperative" }, 422: { description: "no custodial account to attach phones with" } },
      handler: async ({ body, memberId }) => {
        await parameters.requireCooperative(memberId!);
        if ((await keystore.listAccounts(memberId!)).length === 0) {
          throw new ApiError(422, "no_custodial_account", `member ${memberId} has no custodial account here to attach phones with`);
        }
        const enrolment = await createEnrolment(db, memberId!, body.label, body.ttlMinutes);
        const url = `${parameters.publicBase()}/field/#enrol=${enrolment.token}`;
        return { status: 201, body: { token: enrolment.token, url, qrSvg: await qrSvg(url), expiresAt: enrolment.expiresAt.toISOString() } };
      },
    }),

    defineRoute({
      method: "post",
      path: "/v1/field/enrol",
      summary: "a phone redeems an enrolment token with its address: the cooperative attaches it on chain; answers the phone's API token and what it signs with",
      auth: "public",
      body: enrolBody,
      responses: { 201: { description: "{memberId, apiToken, request, domain, registry}" }, 410: { description: "the token is unknown, used or expired" } },
      handler: async ({ body }) => {
        const enrolment = await redeemEnrolment(db, body.token, body.address);
        if (!enrolment) throw new ApiError(410, "enrolment_token_invalid", "this enrolment link is unknown, used or expired: ask your cooperative for a new one");
        const { request } = await writer.enqueue({
          memberId: enrolment.memberId,
          idempotencyKey: `field-enrol:${body.address.toLowerCase()}`,
          kind: "members.addAccount",
          payload: { memberId: enrolment.memberId.toString(), newAccount: body.address },
          maxAttempts: parameters.maxAttempts,
        });
        const issued = await issueApiToken(db, enrolment.memberId, `field ${body.address}${enrolment.label ? ` (${enrolment.label})` : ""}`);
        await recordEnrolmentResult(db, enrolment.id, issued.id, request.id);
        return {
          status: 201,
          body: { memberId: enrolment.memberId.toString(), apiToken: issued.token, request: requestView(request), domain, registry: getAddress(registry) },
        };
      },
    }),

    defineRoute({
      method: "post",
      path: "/v1/field/records",
      summary: "a private record (farmer, plot, payment) a field agent's phone signed offline; kept once per (device, seq)",
      auth: "member",
      body: recordBody,
      responses: {
        201: { description: "applied: {kind, id, ...}" },
        200: { description: "this record was applied before: the same answer" },
        403: { description: "the signing device is not an active account of your cooperative" },
        409: { description: "deliveries_not_found: the paid deliveries are not yet on the read model (try again); sequence_reused" },
        422: { description: "invalid_signature, or the record is refused (its reason in code and message)" },
      },
      handler: async ({ body, memberId }, req) => {
        const record = verifyFieldRecord(body.message, body.signature);
        const owner = await memberOfAccount(record.device);
        if (owner !== memberId) throw new ApiError(403, "forbidden", `device ${record.device} is not an active account of member ${memberId}`);
        const result = await applyFieldRecord({
          db,
          records: keystore.records,
          plots,
          memberId: memberId!,
          record,
          message: body.message,
          signature: body.signature,
          recordedByToken: await tokenIdFor(db, bearerToken(req.get("authorization")) ?? ""),
        });
        return { status: result.replayed ? 200 : 201, body: result };
      },
    }),
  ];
}

/** The field records' errors as HTTP problems; the stores' own errors keep their message. */
export const fieldErrorMapper: ErrorMapper = (error) => {
  if (error instanceof FieldRecordError) {
    const status = error.code === "deliveries_not_found" || error.code === "sequence_reused" ? 409 : error.code === "bad_request" ? 400 : 422;
    return problem(status, error.code, error.message, error.details);
  }
  if (error instanceof PlotRegistrationError) return problem(422, "plot_refused", error.message, null);
  if (error instanceof FarmerCodeTakenError) return problem(409, "code_taken", error.message, null);
  if (error instanceof PaymentInputError) return problem(422, "payment_refused", error.message, null);
  return undefined;
};
