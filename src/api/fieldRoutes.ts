import { getAddress, type JsonRpcProvider } from "ethers";
import { z } from "zod";
import { lotRegistryInterface } from "../chain/contracts";
import type { Keystore } from "../chain/keystore";
import type { Database } from "../db";
import { applyFieldRecord, createEnrolment, deliveriesNotFound, readFieldRecordBatch, uncheckedRecord, waitsForLots, type FieldRecord, type FieldRecordBatch, type UncheckedRecord, FieldRecordError, recordEnrolmentResult, redeemEnrolment, verifyFieldRecord } from "../field";
import { FarmerCodeTakenError } from "../farmers";
import { PaymentInputError } from "../payments";
import { PlotRegistrationError, type PlotRegistry } from "../origins";
import type { OutboxWriter } from "../relay/outbox";
import { addressSchema } from "../relay/lotCalls";
import { forwarderDomain } from "../relay/forwardRequest";
import { qrSvg } from "../web/qr";
import { bearerToken, issueApiToken, tokenIdFor } from "./apiTokens";
import { ApiError, errorToProblem, problem, type ErrorMapper } from "./problem";
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
  /** An unexpected error applying one record of a batch (it is answered as a 500 for that record). */
  onRecordError?: (error: unknown) => void;
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

/** Most records in one batch (what a phone's sync sends at once; about 80 KB of payments). */
export const MAX_RECORDS_PER_BATCH = 100;
const recordBatchBody = z.strictObject({
  records: z.array(recordBody).min(1).max(MAX_RECORDS_PER_BATCH).describe("signed private records, in the phone's order"),
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

  /** Checks a record's signature and device, then applies it once (see applyFieldRecord). */
  const applyOne = (body: z.output<typeof recordBody>, memberId: bigint, recordedByToken: number | null) =>
    applyVerified(verifyFieldRecord(body.message, body.signature), body, memberId, recordedByToken);
  const applyVerified = async (record: FieldRecord, body: z.output<typeof recordBody>, memberId: bigint, recordedByToken: number | null, batch?: FieldRecordBatch) => {
    const owner = await memberOfAccount(record.device);
    if (owner !== memberId) throw new ApiError(403, "forbidden", `device ${record.device} is not an active account of member ${memberId}`);
    return applyFieldRecord({ db, records: keystore.records, plots, memberId, record, message: body.message, signature: body.signature, recordedByToken }, batch);
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
        const result = await applyOne(body, memberId!, await tokenIdFor(db, bearerToken(req.get("authorization")) ?? ""));
        return { status: result.replayed ? 200 : 201, body: result };
      },
    }),

    defineRoute({
      method: "post",
      path: "/v1/field/records/batch",
      summary: "many private records a phone signed offline, in one request: each checked and applied on its own (as POST /v1/field/records), each answered with its status",
      auth: "member",
      body: recordBatchBody,
      responses: {
        200: {
          description:
            "{results: [{status, body}]} in the order sent: 201 applied, 200 applied before (the same answer), else the record's refusal {error: {code, message, details}} with the status POST /v1/field/records would answer (403, 409 deliveries_not_found, 422, ...); the others are applied all the same",
        },
      },
      handler: async ({ body, memberId }, req) => {
        const token = await tokenIdFor(db, bearerToken(req.get("authorization")) ?? "");
        const results: Array<{ status: number; body: unknown }> = [];
        const refusal = (error: unknown) => {
          const mapped = errorToProblem(error, [fieldErrorMapper]);
          if (mapped.status >= 500) parameters.onRecordError?.(error);
          return { status: mapped.status, body: mapped.body };
        };
        // One read for the whole batch (records kept before, the payments' lots), then each record
        // checked and applied in order: a payment's farmer or plot may be a record earlier in the
        // batch. A payment whose lots are not indexed yet is answered so at once (it is sent again).
        const unchecked = body.records.map((sent) => uncheckedRecord(sent.message));
        const batch = await readFieldRecordBatch(db, memberId!, unchecked.filter((record): record is UncheckedRecord => record !== null));
        for (const [index, sent] of body.records.entries()) {
          const early = unchecked[index];
          if (early && waitsForLots(batch, early)) {
            results.push(refusal(deliveriesNotFound(early.digests.filter((digest) => !batch.lots.has(digest)))));
            continue;
          }
          try {
            results.push(await applyVerified(verifyFieldRecord(sent.message, sent.signature), sent, memberId!, token, batch).then(ok));
          } catch (error) {
            results.push(refusal(error));
          }
        }
        return { status: 200, body: { results } };
      },
    }),
  ];
}

const ok = (result: { replayed: boolean }) => ({ status: result.replayed ? 200 : 201, body: result as unknown });

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
