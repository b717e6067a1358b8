import type { Request } from "express";
import { z } from "zod";
import type { RecordSealer } from "../chain/keystore";
import type { Queryable } from "../db";
import {
  ConsentWithdrawnError,
  FarmerCodeTakenError,
  FarmerInputError,
  FarmerNotFoundError,
  FarmerReadOnlyError,
  FarmerRecordCorruptError,
  consentCreateSchema,
  consentWithdrawSchema,
  createFarmer,
  exportFarmers,
  farmerCodeSchema,
  farmerCreateSchema,
  farmersCsv,
  farmerUpdateSchema,
  formatFarmerCode,
  listConsents,
  listFarmers,
  readFarmer,
  recordConsent,
  updateFarmer,
  withdrawConsent,
  type Consent,
  type Farmer,
  type FarmerAccess,
} from "../farmers";
import { actsAs, type MemberStandingReader } from "../membership";
import { bearerToken, tokenIdFor } from "./apiTokens";
import { ApiError, badRequest, conflict, forbidden, notFound } from "./problem";
import { defineRoute, type AnyRoute } from "./routes";

export type CreateFarmerRoutesParameters = {
  db: Queryable;
  /** The keystore's sealer of private records. */
  records: RecordSealer;
  /** A member's roles and whether it is active, from the chain. */
  standing: MemberStandingReader;
};

const farmerId = z.string().regex(/^f_[0-9a-z]{16,40}$/, "a farmer id: f_ and 16 to 40 lower-case letters or digits");
const consentId = z.string().regex(/^c_[0-9a-z]{16,40}$/, "a consent id: c_ and 16 to 40 lower-case letters or digits");

const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  after: z.string().min(1).max(200).optional().describe("the `next` of the previous page"),
  status: z.enum(["active", "archived", "all"]).default("active"),
  code: farmerCodeSchema.optional().describe("only the farmer with this card code (as typed; its check symbol is checked)"),
  view: z.enum(["own", "audit"]).default("own").describe("own: your cooperative's farmers; audit: farmers who named you, a certifier, in an audit consent"),
});

/** A farmer as the API shows it to its cooperative or an auditing certifier: never to anyone else. */
export function farmerJson(farmer: Farmer, access: FarmerAccess) {
  return {
    id: farmer.id,
    memberId: farmer.memberId.toString(),
    pseudonym: farmer.pseudonym,
    code: formatFarmerCode(farmer.code),
    name: farmer.name,
    phone: farmer.phone,
    nationalId: farmer.nationalId,
    gender: farmer.gender,
    birthYear: farmer.birthYear,
    householdSize: farmer.householdSize,
    femaleHeadedHousehold: farmer.femaleHeadedHousehold,
    village: farmer.village,
    language: farmer.language,
    createdAt: farmer.createdAt.toISOString(),
    updatedAt: farmer.updatedAt.toISOString(),
    archivedAt: farmer.archivedAt?.toISOString() ?? null,
    access,
  };
}

function consentJson(consent: Consent) {
  return {
    id: consent.id,
    farmerId: consent.farmerId,
    scope: consent.scope,
    method: consent.method,
    certifierMemberId: consent.certifierMemberId?.toString() ?? null,
    evidenceCid: consent.evidenceCid,
    witness: consent.witness,
    recordedBy: consent.recordedBy,
    recordedByToken: consent.recordedByToken,
    recordedAt: consent.recordedAt.toISOString(),
    active: consent.withdrawal === null,
    withdrawal: consent.withdrawal && { ...consent.withdrawal, withdrawnAt: consent.withdrawal.withdrawnAt.toISOString() },
  };
}

/**
 * Farmers over HTTP: a cooperative registers, reads, lists, changes and archives its farmers and
 * records their consents and withdrawals; a certifier the farmer named in an audit consent reads.
 * Anyone else is told the farmer does not exist (404, never 403), so existence does not leak.
 * Personal fields appear only in these members' answers; `GET /v1/farmers/export` is what a
 * cooperative may hand on (pseudonyms, names only with consent).
 */
export function createFarmerRoutes({ db, records, standing }: CreateFarmerRoutesParameters): AnyRoute[] {
  const noFarmer = (id: string) => notFound(`no farmer ${id}`);
  // Which of the member's tokens (a field agent's phone) recorded a consent: its id, never the token.
  const presentedTokenId = (req: Request) => tokenIdFor(db, bearerToken(req.get("authorization")) ?? "");
  const read = async (id: string, memberId: bigint) => {
    const found = await readFarmer(db, records, id, memberId);
    if (!found) throw noFarmer(id);
    return found;
  };

  return [
    defineRoute({
      method: "post",
      path: "/v1/farmers",
      summary: "register a farmer of your cooperative (personal fields sealed at rest); answers the record with its pseudonym and card code",
      auth: "member",
      body: farmerCreateSchema,
      responses: {
        201: { description: "registered: the record, its opaque id, pseudonym and card code" },
        403: { description: "the member is not an active cooperative" },
        409: { description: "the card code given is printed for another farmer" },
      },
      handler: ({ body, memberId }) =>
        farmerAnswer(async () => {
          if (!actsAs(await standing(memberId!), "cooperative")) {
            throw forbidden(`member ${memberId} is not an active cooperative: only cooperatives register farmers`);
          }
          const farmer = await createFarmer(db, records, { memberId: memberId!, farmer: body });
          return { status: 201, body: farmerJson(farmer, "owner"), headers: { location: `/v1/farmers/${farmer.id}` } };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/farmers",
      summary: "a page of your cooperative's farmers (or, view=audit, of farmers who named you for audit), oldest first",
      auth: "member",
      query: listQuery,
      responses: { 200: { description: "{farmers, next}: next is the cursor of the following page, or null" } },
      handler: ({ query, memberId }) =>
        farmerAnswer(async () => {
          const page = await listFarmers(db, records, { memberId: memberId!, ...query });
          const access: FarmerAccess = query.view === "audit" ? "auditor" : "owner";
          return { status: 200, body: { farmers: page.farmers.map((farmer) => farmerJson(farmer, access)), next: page.next } };
        }),
    }),

    defineRoute({
      method: "get",
      path: "/v1/farmers/export",
      summary: "the producers your cooperative may hand on: farmers with traceability consent, by pseudonym and card code, named only with eudr-statement-with-name consent",
      auth: "member",
      query: z.strictObject({ format: z.enum(["csv", "json"]).default("csv") }),
      responses: { 200: { description: "CSV (pseudonym, code, name, village, language) or JSON {farmers}" } },
      handler: async ({ query, memberId }, _req, res) => {
        const rows = await exportFarmers(db, records, memberId!);
        res.setHeader("cache-control", "private, no-store");
        if (query.format === "json") return { status: 200, body: { farmers: rows } };
        const csv = farmersCsv(rows);
        res
          .status(200)
          .set({ "content-type": "text/csv; charset=utf-8", "content-disposition": 'attachment; filename="farmers.csv"', "content-length": String(Buffer.byteLength(csv)) })
          .end(csv);
      },
    }),

    defineRoute({
      method: "get",
      path: "/v1/farmers/:id",
      summary: "a farmer's record (its cooperative, or a certifier the farmer named in an audit consent)",
      auth: "member",
      params: z.object({ id: farmerId }),
      responses: { 200: { description: "the record; access says whether you read it as its cooperative or as auditor" }, 404: { description: "no farmer you may read" } },
      handler: ({ params, memberId }) =>
        farmerAnswer(async () => {
          const { farmer, access } = await read(params.id, memberId!);
          return { status: 200, body: farmerJson(farmer, access) };
        }),
    }),

    defineRoute({
      method: "patch",
      path: "/v1/farmers/:id",
      summary: "change a farmer's fields (null clears an optional one), archive ({archived: true}) or restore",
      auth: "member",
      params: z.object({ id: farmerId }),
      body: farmerUpdateSchema,
      responses: { 200: { description: "the changed record" }, 403: { description: "an auditing certifier" }, 404: { description: "no farmer you may read" } },
      handler: ({ params, body, memberId }) =>
        farmerAnswer(async () => ({ status: 200, body: farmerJson(await updateFarmer(db, records, params.id, memberId!, body), "owner") })),
    }),

    defineRoute({
      method: "get",
      path: "/v1/farmers/:id/consents",
      summary: "a farmer's consents, oldest first, each with its withdrawal if any",
      auth: "member",
      params: z.object({ id: farmerId }),
      responses: { 200: { description: "{consents}" }, 404: { description: "no farmer you may read" } },
      handler: ({ params, memberId }) =>
        farmerAnswer(async () => {
          await read(params.id, memberId!);
          return { status: 200, body: { consents: (await listConsents(db, records, params.id)).map(consentJson) } };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/v1/farmers/:id/consents",
      summary: "record a consent the farmer gave: scope, method (a signed form as private evidence, a thumbprint, a witnessed verbal consent), who recorded it",
      auth: "member",
      params: z.object({ id: farmerId }),
      body: consentCreateSchema,
      responses: {
        201: { description: "the consent" },
        400: { description: "a signed form that is not your private document for this farmer" },
        403: { description: "an auditing certifier" },
        404: { description: "no farmer you may read" },
        422: { description: "an audit consent naming a member that is not an active certifier" },
      },
      handler: ({ params, body, memberId }, req) =>
        farmerAnswer(async () => {
          if (body.certifierMemberId !== undefined && !actsAs(await standing(body.certifierMemberId), "certifier")) {
            throw new ApiError(422, "not_a_certifier", `member ${body.certifierMemberId} is not an active certifier: an audit consent names the certifier who may read the record`);
          }
          const consent = await recordConsent(db, records, params.id, memberId!, body, await presentedTokenId(req));
          return { status: 201, body: consentJson(consent) };
        }),
    }),

    defineRoute({
      method: "post",
      path: "/v1/farmers/:id/consents/:consentId/withdraw",
      summary: "record the withdrawal of a consent (appended; the consent stays in the history); it takes effect at once wherever its scope is used",
      auth: "member",
      params: z.object({ id: farmerId, consentId }),
      body: consentWithdrawSchema,
      responses: {
        200: { description: "the consent with its withdrawal" },
        403: { description: "an auditing certifier" },
        404: { description: "no such farmer or consent for you" },
        409: { description: "withdrawn before" },
      },
      handler: ({ params, body, memberId }, req) =>
        farmerAnswer(async () => ({
          status: 200,
          body: consentJson(await withdrawConsent(db, records, params.id, params.consentId, memberId!, body, await presentedTokenId(req))),
        })),
    }),
  ];
}

/** Maps the farmers module's errors to the one error shape. */
export async function farmerAnswer<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof FarmerNotFoundError) throw notFound(error.shortMessage);
    if (error instanceof FarmerReadOnlyError) throw forbidden(error.shortMessage);
    if (error instanceof FarmerCodeTakenError) throw new ApiError(409, "farmer_code_taken", error.shortMessage);
    if (error instanceof ConsentWithdrawnError) throw conflict(error.shortMessage);
    if (error instanceof FarmerInputError) throw badRequest(error.shortMessage);
    if (error instanceof FarmerRecordCorruptError) throw new ApiError(500, "record_corrupt", "a sealed record does not open under the keystore's key; the gateway logged it");
    throw error;
  }
}
