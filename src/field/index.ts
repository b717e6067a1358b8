export { createEnrolment, recordEnrolmentResult, redeemEnrolment } from "./enrolments";
export type { Enrolment } from "./enrolments";
export { FieldRecordError, fieldRecordSchema, verifyFieldRecord } from "./signedRecords";
export type { FieldRecord } from "./signedRecords";
export { applyFieldRecord, readFieldRecordBatch } from "./applyRecord";
export type { FieldRecordBatch, FieldRecordResult } from "./applyRecord";
