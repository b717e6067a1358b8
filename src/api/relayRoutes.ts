import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import { getAddress, type JsonRpcProvider } from "ethers";
import { z } from "zod";
import { forwarderInterface, lotRegistryInterface } from "../chain/contracts";
import type { Keystore } from "../chain/keystore/keystore";
import type { Database } from "../db/database";
import { noCrash, type CrashHook } from "../relay/crashPoints";
import { FORWARD_REQUEST_TYPES, domainSeparator, forwarderDomain } from "../relay/forwardRequest";
import type { CallKind } from "../relay/callKinds";
import { addressSchema, deliveriesOf, deliveriesOfCalldata, lotCallSchemas, lotIdSchema, type LotCallKind } from "../relay/lotCalls";
import { CapacityExceededError, OriginArchivedError, type DeliveryCapacity } from "../origins";
import { enqueueRelayRequest, getRelayRequest, hasRelayRequest, type ForwardRequest, type OutboxWriter, type RelayRequest } from "../relay/outbox";
import { checkSelfSignedRequest } from "../relay/selfSignedRequest";
import {
  ContractRevertError,
  RelayAccountError,
  RelayDuplicateSignedRequestError,
  RelayForbiddenError,
  RelayIdempotencyConflictError,
  RelayInvalidRequestError,
  RelayUnacceptableError,
} from "../relay/errors";
import { ApiError, problem, type ErrorMapper } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

/**
 * The gateway's write endpoints: the lot registry's calls made for members (custodial keys), and
 * `POST /v1/relay` for requests members signed themselves. Each writes the request to the outbox
 * (with its `Idempotency-Key`) before answering `202 Accepted` with the request's id;
 * `GET /v1/requests/:id` follows it to mined (with outputs such as new lot ids) or failed (with
 * the contract's decoded error).
 */
export type RelayRoutesParameters = {
  db: Database;
  writer: OutboxWriter;
  keystore: Keystore;
  provider: JsonRpcProvider;
  chainId: bigint;
  forwarder: string;
  /** The lot registry (also the membership registry). */
  registry: string;
  /** Every contract `POST /v1/relay` may target (the registry first). */
  targets: readonly string[];
  maxAttempts: number;
  crash?: CrashHook | undefined;
  /** The plot capacity rule, checked before a mint enters the outbox (absent: deliveries are not checked). */
  capacity?: DeliveryCapacity | undefined;
};

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
/** The outbox's ids are SQL `bigint`s. */
const MAX_REQUEST_ID = 2n ** 63n - 1n;

export const requestViewSchema = z.object({
  id: z.string().describe("the request id"),
  kind: z.string().describe("lots.mint, lots.offer, ..., attestations.attest, attestations.revoke, ..., or relay (self-signed)"),
  status: z.enum(["queued", "signed", "submitted", "mined", "failed"]),
  idempotencyKey: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  call: z.object({ from: z.string(), nonce: z.string(), custodial: z.boolean() }).nullable().describe("the signed ForwardRequest carrying it"),
  transaction: z.object({ hash: z.string(), blockNumber: z.string().nullable() }).nullable(),
  outputs: z.unknown().describe("once mined: lotIds and heads it created, attestation uids it made (uids) or revoked (revoked), decoded events"),
  error: z
    .object({ name: z.string(), message: z.string(), args: z.record(z.string(), z.unknown()).optional() })
    .nullable()
    .describe("once failed: the contract's custom error (e.g. LotRegistryNotCustodian) and its arguments"),
});

export function requestView(request: RelayRequest): z.infer<typeof requestViewSchema> {
  const revert = request.error?.revert as { args?: Record<string, unknown> } | undefined;
  return {
    id: request.id.toString(),
    kind: request.kind,
    status: request.status,
    idempotencyKey: request.idempotencyKey,
    createdAt: request.createdAt.toISOString(),
    updatedAt: request.updatedAt.toISOString(),
    call: request.forwardRequest
      ? { from: request.forwardRequest.from, nonce: request.forwardRequest.nonce.toString(), custodial: request.custodial ?? false }
      : null,
    transaction: request.txHash ? { hash: request.txHash, blockNumber: request.blockNumber?.toString() ?? null } : null,
    outputs: request.status === "mined" ? request.outputs : null,
    error: request.error && (request.status === "failed" || request.status === "queued" || request.status === "signed")
      ? { name: request.error.name, message: request.error.message, ...(revert?.args ? { args: revert.args } : {}) }
      : null,
  };
}

export const accepted = { 202: { description: "accepted: written to the outbox; follow it at GET /v1/requests/{id}", schema: requestViewSchema } };
const lotIdParams = z.object({ lotId: lotIdSchema });

const hex = (what: string) => z.string().regex(/^0x([0-9a-fA-F]{2})*$/, `${what}: 0x and hex bytes`);
const uint = (what: string) => z.union([z.string().regex(/^\d{1,78}$/), z.number().int().nonnegative()]).transform((value) => BigInt(value)).describe(what);
export const selfSignedSchema = z
  .object({
    request: z
      .object({
        from: addressSchema,
        to: addressSchema,
        value: uint("wei, must be 0"),
        gas: uint("gas for the call"),
        nonce: uint("the forwarder nonce signed (GET /v1/relay/forwarder?account=)"),
        deadline: uint("uint48 unix seconds"),
        data: hex("calldata"),
      })
      .strict(),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "signature: 65 bytes of 0x hex"),
  })
  .strict();

/**
 * The intake of requests made with a member's custodial key (lot and attestation writes alike):
 * checks the member has the account, writes the request to the outbox and answers 202.
 */
export function createCustodialIntake(parameters: Pick<RelayRoutesParameters, "writer" | "keystore" | "maxAttempts" | "crash" | "capacity">) {
  const { writer, keystore } = parameters;
  const crash = parameters.crash ?? noCrash;
  const accounts = accountCache(keystore);

  /** Writes a custodial request and answers 202, or the first answer's request for a retried key. */
  async function accept(kind: CallKind, memberId: bigint | null, payload: { account?: string | undefined }, req: Request, res: Response) {
    const member = memberId!;
    const own = await accounts.of(member);
    if (own.length === 0) {
      throw new ApiError(422, "no_custodial_account", `member ${member} has no custodial account here: sign your requests with your own key and send them to POST /v1/relay`);
    }
    if (payload.account && !own.some((account) => account.toLowerCase() === payload.account!.toLowerCase())) {
      const refreshed = await accounts.refresh(member);
      if (!refreshed.some((account) => account.toLowerCase() === payload.account!.toLowerCase())) {
        throw new ApiError(403, "forbidden", `account ${payload.account} is not a custodial account of member ${member}`);
      }
    }
    const idempotencyKey = idempotencyKeyOf(req);
    const enqueue = () => writer.enqueue({ memberId: member, idempotencyKey, kind, payload, maxAttempts: parameters.maxAttempts });
    // A delivery from a plot of this gateway must fit the plot's yearly capacity (a gateway rule).
    const deliveries = parameters.capacity ? deliveriesOf(kind, payload) : null;
    const { request, created } = deliveries ? await parameters.capacity!.around(member, idempotencyKey, deliveries, enqueue) : await enqueue();
    return answer(request, created, res);
  }

  /** The 202 answer: the request as GET /v1/requests/:id shows it, marked when replayed for a retried key. */
  function answer(request: RelayRequest, created: boolean, res: Response) {
    if (created) res.once("finish", () => crash("after-ack"));
    return {
      status: 202,
      body: requestView(request),
      headers: { location: `/v1/requests/${request.id}`, ...(created ? {} : { "idempotent-replayed": "true" }) },
    };
  }

  return { accept, answer, accounts };
}

export function createRelayRoutes(parameters: RelayRoutesParameters): AnyRoute[] {
  const { db, provider, chainId, forwarder, registry } = parameters;
  const separator = domainSeparator(forwarderDomain(chainId, forwarder));
  const { accept, answer, accounts } = createCustodialIntake(parameters);

  /**
   * The receiver of an offer as the registry sees it now, refused here when it cannot take custody
   * because it or its member is suspended: the contract's own refusal (LotRegistryInvalidReceiver)
   * does not say why. Anything else about the receiver is left to the contract's simulation.
   */
  const refuseSuspendedReceiver = async (receiver: string) => {
    const answer = await provider.call({ to: registry, data: lotRegistryInterface.encodeFunctionData("accountOf", [receiver]) });
    const [memberId, accountActive, effectiveRoles] = lotRegistryInterface.decodeFunctionResult("accountOf", answer) as unknown as [bigint, boolean, bigint];
    if (memberId === 0n || (accountActive && effectiveRoles !== 0n)) return;
    const details = { receiver, memberId: memberId.toString(), suspended: accountActive ? "member" : "account" };
    throw new ApiError(
      409,
      "receiver_suspended",
      accountActive
        ? `the receiver ${receiver} cannot take custody: its member ${memberId} is suspended`
        : `the receiver ${receiver} cannot take custody: this account of member ${memberId} is suspended`,
      details,
    );
  };

  const lotRoute = <K extends LotCallKind>(kind: K, path: string, summary: string, withLotId: boolean) =>
    withLotId
      ? defineRoute({
          method: "post",
          path,
          summary,
          auth: "member",
          params: lotIdParams,
          body: (lotCallSchemas[kind] as unknown as z.ZodObject).omit({ lotId: true }),
          responses: kind === "lots.offer" ? { ...accepted, 409: { description: "receiver_suspended: the receiver or its member is suspended" } } : accepted,
          handler: async ({ params, body, memberId }, req, res) => {
            if (kind === "lots.offer") await refuseSuspendedReceiver((body as { receiver: string }).receiver);
            return accept(kind, memberId, { ...(body as object), lotId: params.lotId } as { account?: string }, req, res);
          },
        })
      : defineRoute({
          method: "post",
          path,
          summary,
          auth: "member",
          body: lotCallSchemas[kind],
          responses:
            kind === "lots.mint" || kind === "lots.mintBatch" || kind === "lots.mintWithOriginClaims"
              ? {
                  ...accepted,
                  422: {
                    description:
                      "capacity_exceeded: a delivery would take its origin plot's deliveries this year above the plot's capacity (details.plots: plotId, year, form, capacityGrams, deliveredGrams, requestedGrams); plot_archived: the origin plot is archived",
                  },
                }
              : accepted,
          handler: async ({ body, memberId }, req, res) => accept(kind, memberId, body as { account?: string }, req, res),
        });

  return [
    lotRoute("lots.mint", "/v1/lots/mint", "mint one delivery (a cooperative's weigh-in) as a lot", false),
    lotRoute("lots.mintBatch", "/v1/lots/mint-batch", "mint up to 500 deliveries as consecutive lots in one call", false),
    lotRoute(
      "lots.mintWithOriginClaims",
      "/v1/lots/mint-with-origin-claims",
      "mint up to 500 deliveries; each whose origin plot holds a valid plot attestation (no forest loss since 2020) carries that claim from mint (EUDR)",
      false,
    ),
    lotRoute("lots.offer", "/v1/lots/:lotId/offer", "offer a lot to another member's account (handover, step 1)", true),
    lotRoute("lots.accept", "/v1/lots/:lotId/accept", "take custody of a lot offered to you, recording the weight received", true),
    lotRoute("lots.reject", "/v1/lots/:lotId/reject", "refuse a lot offered to you, with a reason code", true),
    lotRoute("lots.cancel", "/v1/lots/:lotId/cancel", "withdraw your offer of a lot", true),
    lotRoute("lots.split", "/v1/lots/:lotId/split", "split a lot into parts whose grams sum to the lot's", true),
    lotRoute("lots.merge", "/v1/lots/merge", "merge lots of one form into one lot", false),
    lotRoute("lots.transform", "/v1/lots/transform", "transform lots into outputs of other forms, within the registered yields", false),
    lotRoute("lots.attachEvidence", "/v1/lots/:lotId/evidence", "attach evidence (the digest of a stored CID) to a lot you hold; it folds into the lot's history head", true),

    defineRoute({
      method: "post",
      path: "/v1/relay",
      summary: "relay a ForwardRequest the member signed with its own key (EIP-712, see GET /v1/relay/forwarder)",
      auth: "member",
      body: selfSignedSchema,
      responses: {
        ...accepted,
        422: { description: "the forwarder or the contract would refuse it (decoded error in details), or a delivery would take its plot above its yearly capacity (capacity_exceeded)" },
      },
      handler: async ({ body, memberId }, req, res) => {
        const forwardRequest: ForwardRequest = { ...body.request };
        const key = idempotencyKeyOf(req);
        // A retried key answers from the outbox without checking again (the nonce is used by then).
        if (!(await hasRelayRequest(db, { memberId: memberId!, idempotencyKey: key }))) {
          await checkSelfSignedRequest({ provider, forwarder, separator, targets: parameters.targets, memberId: memberId!, forwardRequest, signature: body.signature });
        }
        const enqueue = () =>
          enqueueRelayRequest(db, {
            memberId: memberId!,
            idempotencyKey: key,
            kind: "relay",
            payload: { to: forwardRequest.to, selector: forwardRequest.data.slice(0, 10) },
            signed: { forwardRequest, signature: body.signature },
            refuseDuplicateSignature: true,
            maxAttempts: parameters.maxAttempts,
          });
        const deliveries = parameters.capacity && forwardRequest.to.toLowerCase() === registry.toLowerCase() ? deliveriesOfCalldata(forwardRequest.data) : null;
        const { request, created } = deliveries ? await parameters.capacity!.around(memberId!, key, deliveries, enqueue) : await enqueue();
        return answer(request, created, res);
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/requests/:id",
      summary: "a request's status: queued, signed, submitted (transaction), mined (outputs) or failed (decoded error)",
      auth: "member",
      params: z.object({ id: z.string().regex(/^\d{1,19}$/, "a request id") }),
      responses: { 200: { description: "the request", schema: requestViewSchema }, 404: { description: "no such request of this member" } },
      handler: async ({ params, memberId }) => {
        // Request ids are SQL bigints: a larger number names no request (as lot ids beyond it name no lot).
        const id = BigInt(params.id);
        const request = id > MAX_REQUEST_ID ? null : await getRelayRequest(db, { memberId: memberId!, id });
        if (!request) throw new ApiError(404, "not_found", `no request ${params.id} of this member`);
        return { status: 200, body: requestView(request) };
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/relay/forwarder",
      summary: "what a member's own key signs: the forwarder's EIP-712 domain and types, and an account's next nonce",
      auth: "member",
      query: z.object({ account: addressSchema.optional() }),
      responses: { 200: { description: "domain, types and nonce" } },
      handler: async ({ query }) => {
        const nonce = query?.account
          ? BigInt(await provider.send("eth_call", [{ to: forwarder, data: forwarderInterface.encodeFunctionData("nonces", [query.account]) }, "latest"])).toString()
          : null;
        return {
          status: 200,
          body: {
            domain: { ...forwarderDomain(chainId, forwarder), chainId: chainId.toString() },
            primaryType: "ForwardRequest",
            types: FORWARD_REQUEST_TYPES,
            targets: parameters.targets.map((target) => getAddress(target)),
            registry: getAddress(registry),
            ...(query?.account ? { account: query.account, nonce } : {}),
          },
        };
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/members/me",
      summary: "the member this token acts as, and its custodial accounts here",
      auth: "member",
      responses: { 200: { description: "member id and custodial accounts" } },
      handler: async ({ memberId }) => ({
        status: 200,
        body: { memberId: memberId!.toString(), custodialAccounts: await accounts.refresh(memberId!) },
      }),
    }),
  ];
}

/** The `Idempotency-Key` header, or a fresh key when the client sent none (then a retry is a new request). */
export function idempotencyKeyOf(req: Request): string {
  const key = req.get("idempotency-key");
  if (key === undefined) return `auto:${randomUUID()}`;
  if (!IDEMPOTENCY_KEY.test(key)) throw new ApiError(400, "invalid_idempotency_key", "Idempotency-Key: 1 to 255 visible ASCII characters");
  return key;
}

/** A member's custodial account addresses, remembered for a while (they change only when a governor adds one). */
function accountCache(keystore: Keystore, ttlMs = 30_000) {
  const entries = new Map<bigint, { at: number; accounts: Promise<string[]> }>();
  const load = (memberId: bigint) => {
    const accounts = keystore.listAccounts(memberId).then((list) => list.map((account) => account.address));
    entries.set(memberId, { at: Date.now(), accounts });
    accounts.catch(() => entries.delete(memberId));
    return accounts;
  };
  return {
    of(memberId: bigint): Promise<string[]> {
      const entry = entries.get(memberId);
      return entry && Date.now() - entry.at < ttlMs ? entry.accounts : load(memberId);
    },
    refresh: load,
  };
}

/** The relay's errors as HTTP problems: one place, next to the routes that raise them. */
export const relayErrorMapper: ErrorMapper = (error) => {
  if (error instanceof ContractRevertError) {
    return problem(422, "contract_refused", error.shortMessage, { error: error.revert.error, args: error.revert.args });
  }
  if (error instanceof RelayIdempotencyConflictError) {
    return problem(409, "idempotency_key_reused", error.shortMessage, { requestId: error.requestId.toString() });
  }
  if (error instanceof RelayDuplicateSignedRequestError) {
    return problem(409, "duplicate_signed_request", error.shortMessage, { requestId: error.requestId.toString() });
  }
  if (error instanceof RelayForbiddenError) return problem(403, "forbidden", error.shortMessage);
  if (error instanceof RelayUnacceptableError || error instanceof RelayInvalidRequestError) return problem(400, "bad_request", error.shortMessage);
  if (error instanceof RelayAccountError) return problem(422, "account", error.shortMessage);
  if (error instanceof CapacityExceededError) return problem(422, "capacity_exceeded", error.shortMessage, { plots: error.excesses });
  if (error instanceof OriginArchivedError) return problem(422, "plot_archived", error.shortMessage, { plotId: error.plotId });
  return undefined;
};
