import { getAddress, isAddress, type Interface } from "ethers";
import { z } from "zod";
import { lotRegistryInterface } from "../chain/contracts";
import { MAX_INGREDIENT_NAME_BYTES, ingredientName } from "../lots/ingredients";

/**
 * The lot registry's write calls a member can ask the gateway to make for it: their request
 * schemas (zod: the API validates with them and the OpenAPI document is generated from them),
 * and their calldata. Payloads are JSON as stored in the outbox: big numbers as decimal strings.
 */

// Widened to the untyped interface: payloads arrive as validated JSON, not as typechain's argument types.
const lotRegistryAbi: Interface = lotRegistryInterface;

/** Most deliveries or inputs in one call: the registry's MAX_BATCH. */
export const MAX_BATCH = 500;
/**
 * Most parts or outputs of one split or transform: the registry's MAX_OUTPUTS, what fits a 30M-gas
 * block when every output carries two claims (docs/attestations.md, batch limits).
 */
export const MAX_OUTPUTS = 200;
/** Most declared ingredients of one transform: the registry's MAX_INGREDIENTS. */
export const MAX_INGREDIENTS = 32;
/** A quality is a share of the weight in basis points: 10 000 is 100 %. */
export const MAX_QUALITY = 10_000;

const UINT16_MAX = 2n ** 16n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT256_MAX = 2n ** 256n - 1n;

/** A uint given as a JSON integer or a decimal string, kept as its canonical decimal string. */
export const uintString = (max: bigint, what: string) =>
  z
    .union([z.string().regex(/^\d{1,78}$/, `${what}: expected a decimal integer`), z.number().int().nonnegative()])
    .transform((value, context) => {
      const parsed = BigInt(value);
      if (parsed > max) {
        context.addIssue({ code: "custom", message: `${what}: at most ${max}` });
        return z.NEVER;
      }
      return parsed.toString();
    });

export const addressSchema = z
  .string()
  .refine((value) => isAddress(value) && /^0x[0-9a-fA-F]{40}$/.test(value), "expected a 0x-prefixed 20-byte address")
  .transform((value) => getAddress(value));
export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "expected 0x and 64 hex digits (a sha2-256 digest of an IPFS CID)")
  .transform((value) => value.toLowerCase());
export const lotIdSchema = uintString(UINT256_MAX, "lot id").refine((value) => value !== "0", "lot id: not 0");
const formSchema = z.number().int().min(1, "form: 1-255").max(255, "form: 1-255");
const gramsSchema = uintString(UINT64_MAX, "grams").refine((value) => value !== "0", "grams: more than 0");
const qualitySchema = z
  .number()
  .int("quality: whole basis points")
  .min(0, "quality: 0-10000 basis points")
  .max(MAX_QUALITY, "quality: 0-10000 basis points (10000 is 100 %)")
  .default(0)
  .describe("measured quality in basis points of the weight: dry rubber content (DRC) of rubber, moisture of cocoa; 0 = not measured");
const ingredientNameSchema = z
  .string()
  .min(1, "name: not empty")
  .refine((value) => Buffer.byteLength(value, "utf8") <= MAX_INGREDIENT_NAME_BYTES, `name: at most ${MAX_INGREDIENT_NAME_BYTES} bytes of UTF-8`)
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), "name: no control characters")
  .describe("the ingredient's name as the page shows it, e.g. \"cane sugar\" (at most 32 bytes of UTF-8)");

// Strict like the bodies that carry them: an unknown key inside deliveries[i], parts[i] or
// outputs[i] is refused, never silently dropped (a misspelt field would vanish from the request).
export const deliverySchema = z.strictObject({
  form: formSchema.describe("form id, e.g. 1 cocoa wet beans, 21 rubber cup lump"),
  grams: gramsSchema.describe("weighed quantity in grams"),
  quality: qualitySchema,
  metadata: bytes32Schema.describe("sha2-256 digest of the delivery's metadata document CID"),
  origin: bytes32Schema.describe("commitment to the plot geometry and farmer reference"),
});
export const outputSchema = z.strictObject({
  form: formSchema,
  grams: gramsSchema,
  quality: qualitySchema.describe("quality measured on the output in basis points (0 = not measured); a split's part keeps the lot's (give 0 or that value)"),
  metadata: bytes32Schema,
});
export const ingredientSchema = z.strictObject({
  outputForm: formSchema.describe("the output form the ingredient goes into (the transform must produce it)"),
  grams: gramsSchema.describe("the ingredient's weight in grams"),
  name: ingredientNameSchema,
});

/** Which custodial account of the member acts (default: its first). */
const account = addressSchema.optional().describe("custodial account of the member that acts; default its first");

export const lotCallSchemas = {
  "lots.mint": deliverySchema.extend({ account }).strict(),
  "lots.mintBatch": z.object({ account, deliveries: z.array(deliverySchema).min(1).max(MAX_BATCH) }).strict(),
  "lots.mintWithOriginClaims": z
    .object({ account, deliveries: z.array(deliverySchema).min(1).max(MAX_BATCH) })
    .strict()
    .describe("deliveries minted through `mintBatchObserved`: each whose origin plot holds a valid plot attestation (no forest loss since 2020) carries that claim from mint"),
  "lots.offer": z.object({ account, lotId: lotIdSchema, receiver: addressSchema }).strict(),
  "lots.accept": z
    .object({
      account,
      lotId: lotIdSchema,
      gramsReceived: gramsSchema,
      quality: qualitySchema.describe("quality measured on receipt in basis points (a DRC or moisture test), or 0 to keep the lot's"),
    })
    .strict(),
  "lots.reject": z.object({ account, lotId: lotIdSchema, reason: z.number().int().min(0).max(Number(UINT16_MAX)) }).strict(),
  "lots.cancel": z.object({ account, lotId: lotIdSchema }).strict(),
  "lots.split": z.object({ account, lotId: lotIdSchema, parts: z.array(outputSchema).min(2).max(MAX_OUTPUTS) }).strict(),
  "lots.merge": z.object({ account, lotIds: z.array(lotIdSchema).min(2).max(MAX_BATCH), metadata: bytes32Schema }).strict(),
  "lots.attachEvidence": z
    .object({ account, lotId: lotIdSchema, evidence: bytes32Schema.describe("sha2-256 digest of the evidence CID (POST /v1/evidence answers it)") })
    .strict(),
  "lots.transform": z
    .object({
      account,
      inputIds: z.array(lotIdSchema).min(1).max(MAX_BATCH),
      outputs: z.array(outputSchema).min(1).max(MAX_OUTPUTS),
      ingredients: z
        .array(ingredientSchema)
        .max(MAX_INGREDIENTS, `ingredients: at most ${MAX_INGREDIENTS}`)
        .default([])
        .describe("declared non-traced ingredients (sugar, milk powder, lecithin, carbon black): they count in their output form's weight and bounds, carry no claim and never become mass-balance credit"),
    })
    .strict(),
} as const;

export type LotCallKind = keyof typeof lotCallSchemas;
export type LotCallPayload<K extends LotCallKind = LotCallKind> = z.output<(typeof lotCallSchemas)[K]>;
export type Delivery = z.output<typeof deliverySchema>;

export const LOT_CALL_KINDS = Object.keys(lotCallSchemas) as LotCallKind[];

export function isLotCallKind(kind: string): kind is LotCallKind {
  return Object.prototype.hasOwnProperty.call(lotCallSchemas, kind);
}

/** The registry calldata of a lot request. */
export function encodeLotCall(kind: LotCallKind, payload: unknown): string {
  const p = payload as Record<string, unknown>;
  switch (kind) {
    case "lots.mint":
      return lotRegistryAbi.encodeFunctionData("mint", [deliveryTuple(p as unknown as Delivery)]);
    case "lots.mintBatch":
      return encodeMintBatch(p.deliveries as Delivery[]);
    case "lots.mintWithOriginClaims":
      return lotRegistryAbi.encodeFunctionData("mintBatchObserved", [(p.deliveries as Delivery[]).map(deliveryTuple)]);
    case "lots.offer":
      return lotRegistryAbi.encodeFunctionData("offer", [BigInt(p.lotId as string), p.receiver]);
    case "lots.accept":
      return lotRegistryAbi.encodeFunctionData("accept", [BigInt(p.lotId as string), BigInt(p.gramsReceived as string), (p.quality as number | undefined) ?? 0]);
    case "lots.reject":
      return lotRegistryAbi.encodeFunctionData("reject", [BigInt(p.lotId as string), p.reason]);
    case "lots.cancel":
      return lotRegistryAbi.encodeFunctionData("cancel", [BigInt(p.lotId as string)]);
    case "lots.split":
      return lotRegistryAbi.encodeFunctionData("split", [BigInt(p.lotId as string), (p.parts as Output[]).map(outputTuple)]);
    case "lots.merge":
      return lotRegistryAbi.encodeFunctionData("merge", [(p.lotIds as string[]).map(BigInt), p.metadata]);
    case "lots.transform": {
      const inputIds = (p.inputIds as string[]).map(BigInt);
      const outputs = (p.outputs as Output[]).map(outputTuple);
      const ingredients = (p.ingredients as Ingredient[] | undefined) ?? [];
      return ingredients.length === 0
        ? lotRegistryAbi.encodeFunctionData("transform", [inputIds, outputs])
        : lotRegistryAbi.encodeFunctionData("transformWithIngredients", [inputIds, outputs, ingredients.map(ingredientTuple)]);
    }
    case "lots.attachEvidence":
      return lotRegistryAbi.encodeFunctionData("attachEvidence", [BigInt(p.lotId as string), p.evidence]);
  }
}

/** Deliveries a mint request carries (mints of one account can share one `mintBatch`), else null. */
export function deliveriesOf(kind: string, payload: unknown): Delivery[] | null {
  if (kind === "lots.mint") {
    const { form, grams, quality, metadata, origin } = payload as Delivery;
    return [{ form, grams, quality: quality ?? 0, metadata, origin }];
  }
  if (kind === "lots.mintBatch" || kind === "lots.mintWithOriginClaims") return (payload as { deliveries: Delivery[] }).deliveries;
  return null;
}

/** Whether mints of this kind may share one `mintBatch` with an account's other plain mints (observed mints may not). */
export function isPlainMintKind(kind: string): boolean {
  return kind === "lots.mint" || kind === "lots.mintBatch";
}

const MINT_SELECTOR = lotRegistryAbi.getFunction("mint")!.selector;
const MINT_BATCH_SELECTOR = lotRegistryAbi.getFunction("mintBatch")!.selector.slice(2);
const MINT_OBSERVED_SELECTOR = lotRegistryAbi.getFunction("mintBatchObserved")!.selector;

/**
 * The deliveries in registry calldata a member signed itself (`mint` or `mintBatch`), else null:
 * the gateway's delivery rules (plot capacity) hold for self-signed requests too.
 */
export function deliveriesOfCalldata(data: string): Delivery[] | null {
  const selector = data.slice(0, 10).toLowerCase();
  if (selector !== MINT_SELECTOR && selector !== `0x${MINT_BATCH_SELECTOR}` && selector !== MINT_OBSERVED_SELECTOR) return null;
  try {
    const call = lotRegistryAbi.parseTransaction({ data });
    const tuples = (selector === MINT_SELECTOR ? [call!.args[0]] : [...call!.args[0]]) as Array<{ form: bigint; grams: bigint; quality: bigint; metadata: string; origin: string }>;
    return tuples.map((tuple) => ({ form: Number(tuple.form), grams: tuple.grams.toString(), quality: Number(tuple.quality), metadata: tuple.metadata.toLowerCase(), origin: tuple.origin.toLowerCase() }));
  } catch {
    // Calldata the registry cannot decode either: the simulation refuses it.
    return null;
  }
}

/**
 * `mintBatch(Delivery[])` calldata, written directly: each delivery is five static words (form,
 * grams, quality, metadata, origin), so the layout is selector, offset (0x20), length, then the
 * words. Thousands of deliveries a second go through here; the general ABI coder costs about
 * 0.2 ms per delivery.
 */
export function encodeMintBatch(deliveries: readonly Delivery[]): string {
  const parts: string[] = [MINT_BATCH_SELECTOR, word(32n), word(BigInt(deliveries.length))];
  for (const delivery of deliveries) {
    parts.push(
      word(BigInt(delivery.form)),
      word(BigInt(delivery.grams)),
      word(BigInt(delivery.quality ?? 0)),
      delivery.metadata.slice(2).toLowerCase(),
      delivery.origin.slice(2).toLowerCase(),
    );
  }
  return `0x${parts.join("")}`;
}

type Output = z.output<typeof outputSchema>;
type Ingredient = z.output<typeof ingredientSchema>;

function deliveryTuple(delivery: Delivery) {
  return { form: delivery.form, grams: BigInt(delivery.grams), quality: delivery.quality ?? 0, metadata: delivery.metadata, origin: delivery.origin };
}

function outputTuple(output: Output) {
  return { form: output.form, grams: BigInt(output.grams), quality: output.quality ?? 0, metadata: output.metadata };
}

function ingredientTuple(ingredient: Ingredient) {
  return { outputForm: ingredient.outputForm, grams: BigInt(ingredient.grams), name: ingredientName(ingredient.name) };
}

function word(value: bigint): string {
  return value.toString(16).padStart(64, "0");
}
