export { BaseError, RetryableError, NonRetryableError, isRetryable } from "./base";
export type { BaseErrorParameters } from "./base";
