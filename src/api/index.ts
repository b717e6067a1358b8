export { createApp } from "./app";
export type { CreateAppParameters, ReadinessCheck } from "./app";
export { defineRoute, openApiDocument } from "./routes";
export type { AnyRoute, RouteDefinition } from "./routes";
export { ApiError, badRequest, conflict, errorToProblem, forbidden, notFound, problem, unauthorized } from "./problem";
export type { ErrorMapper, Problem } from "./problem";
export { createRateLimiter } from "./rateLimit";
export type { RateLimiter } from "./rateLimit";
export { issueApiToken, memberForToken, revokeApiTokens } from "./apiTokens";
