import { z } from "zod";
import { parseFarmerCode } from "./farmerCode";

/**
 * What a farmer record, a consent and a withdrawal may hold: one schema for the HTTP API (and its
 * OpenAPI document) and for bulk imports. Strict: an unknown key is refused, not dropped.
 */
export const FARMER_LANGUAGES = ["en", "id", "th", "vi"] as const;
export const GENDERS = ["female", "male", "other"] as const;
export const CONSENT_SCOPES = ["traceability", "eudr-statement-with-name", "payments", "research", "audit"] as const;
export const CONSENT_METHODS = ["signed-form", "thumbprint", "witnessed-verbal"] as const;
export const PRIVATE_EVIDENCE_KINDS = ["land-title", "id-scan", "consent-form", "other"] as const;

export type FarmerLanguage = (typeof FARMER_LANGUAGES)[number];
export type Gender = (typeof GENDERS)[number];
export type ConsentScope = (typeof CONSENT_SCOPES)[number];
export type ConsentMethod = (typeof CONSENT_METHODS)[number];
export type PrivateEvidenceKind = (typeof PRIVATE_EVIDENCE_KINDS)[number];

/** A card code as typed (`7K3Q-M9TX`, any case), normalised; a typo or a swap is refused by its check symbol. */
export const farmerCodeSchema = z
  .string()
  .max(40)
  .transform((input, context) => {
    const parsed = parseFarmerCode(input);
    if (parsed.ok) return parsed.code;
    context.addIssue({ code: "custom", message: parsed.reason });
    return z.NEVER;
  })
  .describe("the card code, 8 Crockford base32 symbols with a check symbol, e.g. 7K3Q-M9TX");

const text = (max: number) => z.string().trim().min(1).max(max);
const phone = z
  .string()
  .max(40)
  .transform((input) => input.replace(/[\s().-]/g, ""))
  .pipe(z.string().regex(/^\+?[0-9]{6,15}$/, "phone: 6 to 15 digits, optionally after +"))
  .describe("as dialled, e.g. +62 812 3456 7890 (spaces, dots, hyphens and brackets are dropped)");

/** The personal fields (sealed at rest), each optional on its own. */
const personalShape = {
  name: text(200).describe("the farmer's name as on the card"),
  phone,
  nationalId: z.string().trim().min(1).max(40).regex(/^[0-9A-Za-z./ -]+$/, "nationalId: letters, digits, . / - and spaces").describe("national identity number (NIK, Thai ID, CCCD)"),
  gender: z.enum(GENDERS),
  birthYear: z.number().int().min(1900).max(new Date().getUTCFullYear()),
  householdSize: z.number().int().min(1).max(50).describe("people living in the farmer's household"),
  femaleHeadedHousehold: z.boolean(),
  village: text(120),
};

export const farmerCreateSchema = z.strictObject({
  ...personalShape,
  phone: personalShape.phone.optional(),
  nationalId: personalShape.nationalId.optional(),
  gender: personalShape.gender.optional(),
  birthYear: personalShape.birthYear.optional(),
  householdSize: personalShape.householdSize.optional(),
  femaleHeadedHousehold: personalShape.femaleHeadedHousehold.optional(),
  village: personalShape.village.optional(),
  language: z.enum(FARMER_LANGUAGES).default("en").describe("the language the farmer is addressed in: en, id, th or vi"),
  code: farmerCodeSchema.optional().describe("a card code already printed (checked); without one a new code is made"),
});
export type FarmerCreateInput = z.input<typeof farmerCreateSchema>;
export type FarmerCreate = z.output<typeof farmerCreateSchema>;

/** A change: the fields given are set (null clears an optional one); `archived` archives or restores. */
export const farmerUpdateSchema = z
  .strictObject({
    name: personalShape.name.optional(),
    phone: personalShape.phone.nullable().optional(),
    nationalId: personalShape.nationalId.nullable().optional(),
    gender: personalShape.gender.nullable().optional(),
    birthYear: personalShape.birthYear.nullable().optional(),
    householdSize: personalShape.householdSize.nullable().optional(),
    femaleHeadedHousehold: personalShape.femaleHeadedHousehold.nullable().optional(),
    village: personalShape.village.nullable().optional(),
    language: z.enum(FARMER_LANGUAGES).optional(),
    archived: z.boolean().optional().describe("true archives the farmer (kept, no longer listed by default); false restores"),
  })
  .refine((change) => Object.keys(change).length > 0, "name at least one field to change");
export type FarmerUpdate = z.output<typeof farmerUpdateSchema>;

export const consentCreateSchema = z
  .strictObject({
    scope: z.enum(CONSENT_SCOPES).describe("what the farmer agreed to: traceability, eudr-statement-with-name, payments, research, audit"),
    method: z.enum(CONSENT_METHODS).describe("how: signed-form (with evidenceCid), thumbprint, witnessed-verbal (with witness)"),
    recordedBy: text(200).describe("who recorded it: the field agent's name or staff number"),
    evidenceCid: z.string().min(1).max(200).optional().describe("the signed form, a private evidence CID of this member (required for signed-form)"),
    witness: text(200).optional().describe("who witnessed a verbal consent (required for witnessed-verbal); sealed at rest"),
    certifierMemberId: z
      .union([z.string().regex(/^[1-9]\d{0,19}$/), z.number().int().positive()])
      .transform((value) => BigInt(value))
      .optional()
      .describe("audit: the certifier (member id) the farmer agrees may read the record and its private documents"),
  })
  .superRefine((consent, context) => {
    if (consent.method === "signed-form" && !consent.evidenceCid) context.addIssue({ code: "custom", path: ["evidenceCid"], message: "a signed-form consent names its form: evidenceCid" });
    if (consent.method === "witnessed-verbal" && !consent.witness) context.addIssue({ code: "custom", path: ["witness"], message: "a witnessed verbal consent names its witness" });
    if (consent.scope === "audit" && consent.certifierMemberId === undefined) context.addIssue({ code: "custom", path: ["certifierMemberId"], message: "an audit consent names the certifier: certifierMemberId" });
    if (consent.scope !== "audit" && consent.certifierMemberId !== undefined) context.addIssue({ code: "custom", path: ["certifierMemberId"], message: "only an audit consent names a certifier" });
  });
export type ConsentCreate = z.output<typeof consentCreateSchema>;

export const consentWithdrawSchema = z.strictObject({
  recordedBy: text(200).describe("who recorded the withdrawal"),
  reason: z.string().trim().max(500).optional(),
});
export type ConsentWithdraw = z.output<typeof consentWithdrawSchema>;
