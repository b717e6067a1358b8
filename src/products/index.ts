export { checkGtin, gtinCheckDigit, BATCH_PATTERN } from "./gtin";
export type { GtinCheck } from "./gtin";
export { registerProduct, findProduct, productsOfLot, productsOfLots, ProductRegistrationError, ProductTakenError } from "./productStore";
export type { Product, RegisterProductParameters } from "./productStore";
