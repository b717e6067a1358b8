export { plotGeometrySchema, plotAreaM2, MAX_PLOT_POSITIONS } from "./geometry";
export type { PlotGeometry } from "./geometry";
export { plotCommitment, newPlotSalt } from "./plotCommitment";
export type { PlotRecord } from "./plotCommitment";
export { registerPlot, summariseOrigins, PlotRegistrationError, PlotTakenError } from "./plotStore";
export type { RegisterPlotParameters, RegisteredPlot, OriginSummary, DistrictSummary } from "./plotStore";
