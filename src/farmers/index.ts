export { CROCKFORD_ALPHABET, farmerCodeCheckSymbol, formatFarmerCode, generateFarmerCode, parseFarmerCode } from "./farmerCode";
export type { ParseFarmerCodeReturnType } from "./farmerCode";
export { farmerPseudonym, pseudonymizer } from "./pseudonym";
export { farmerAccess } from "./access";
export type { FarmerAccess } from "./access";
export { createFarmer, createFarmers, listFarmers, readFarmer, updateFarmer } from "./farmerStore";
export type {
  CreateFarmerParameters,
  CreateFarmersParameters,
  CreateFarmersReturnType,
  Farmer,
  ListFarmersParameters,
  ListFarmersReturnType,
  ReadFarmerReturnType,
} from "./farmerStore";
export { farmersWithConsent, hasConsent, listConsents, recordConsent, withdrawConsent } from "./consents";
export type { Consent } from "./consents";
export { EXPORT_COLUMNS, exportFarmers, farmersCsv } from "./farmerExport";
export type { ExportedFarmer } from "./farmerExport";
export { listPrivateDocuments, privateDocument, putPrivateEvidence, readPrivateEvidence } from "./privateEvidence";
export type { PrivateDocument, PutPrivateEvidenceParameters } from "./privateEvidence";
export { farmerResealers } from "./reseal";
export * from "./schemas";
export * from "./errors";
