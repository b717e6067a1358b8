export { createEnrolment, recordEnrolmentResult, redeemEnrolment } from "./enrolments";
export type { Enrolment } from "./enrolments";
export { FieldRecordError, fieldRecordSchema, verifyFieldRecord } from "./signedRecords";
export type { FieldRecord } from "./signedRecords";
export { applyFieldRecord, deliveriesNotFound, readFieldRecordBatch, uncheckedRecord, waitsForLots } from "./applyRecord";
export type { FieldRecordBatch, FieldRecordResult, UncheckedRecord } from "./applyRecord";
