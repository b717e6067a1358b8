export {
  plotGeometrySchema,
  plotAreaM2,
  geometryIssues,
  decimalsOf,
  boundsOf,
  MAX_PLOT_POSITIONS,
  MAX_POINT_AREA_M2,
  MIN_DECIMALS,
} from "./geometry";
export type { PlotGeometry, PlotOutline, PointGeometry, PolygonGeometry, MultiPolygonGeometry } from "./geometry";
export { plotCommitment, newPlotSalt } from "./plotCommitment";
export type { PlotRecord } from "./plotCommitment";
export { registerPlot, summariseOrigins, PlotRegistrationError, PlotTakenError, TENURES, newPlotId } from "./plotStore";
export type { RegisterPlotParameters, RegisteredPlot, OriginSummary, DistrictSummary, StoredPlot, Tenure, ListPlotsParameters } from "./plotStore";
export {
  PlotRegistry,
  PlotRuleError,
  PlotFarmerError,
  PlotEvidenceError,
  PlotOverlapError,
  PlotRefTakenError,
  PlotNotFoundError,
  PlotArchivedError,
} from "./plotRegistry";
export type { PlotInput, PlotPatch, PlotOwner, PlotIssue, PlotOrigin, PlotWithVersions, PlotRegistryOptions, RegisterManyResult } from "./plotRegistry";
export { PlotIndex } from "./plotIndex";
export type { Bounds, IndexEntry } from "./plotIndex";
export { overlapShare, pointInOutline, DEFAULT_OVERLAP_THRESHOLD } from "./overlap";
export { DEFAULT_MAX_YIELDS_KG_PER_HA, parseMaxYields, capacityGrams, capacityTable, capacityUse } from "./capacity";
export type { MaxYields } from "./capacity";
export { DeliveryCapacity, CapacityExceededError, OriginArchivedError, checkCapacity } from "./deliveryCapacity";
export type { CapacityDelivery, CapacityExcess, FormTotals } from "./deliveryCapacity";
export { farmersOfMember } from "./plotFarmers";
export type { PlotFarmer } from "./plotFarmers";
