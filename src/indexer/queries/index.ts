export { getLot, getLots, listLots, lotViewFromRow, commodityName } from "./lots";
export type { LotView, LotFilters, ListLotsParameters, Page, AccountRef } from "./lots";
export { getLotHistory } from "./lotHistory";
export type { LotEventView, GetLotHistoryParameters } from "./lotHistory";
export { getLotDag } from "./lotDag";
export type { DagDirection, DagEdgeView, DagNodeView, LotDagView, GetLotDagParameters } from "./lotDag";
export { getMember, memberExists, memberDeliveriesByDay, memberStockByForm, DateRangeError } from "./members";
export type { MemberView, DeliveryDayView, DeliveriesByDayParameters, StockView } from "./members";
export { InvalidCursorError, DagTooLargeError } from "./errors";
export { QUERY_LIMITS } from "./limits";
export { getLotAttestations, getLotCarriedClaims, memberAttestations, memberCredits, attestationStatus } from "./attestations";
export type {
  AttestationStatus,
  AttestationView,
  CreditView,
  LotAttestationItem,
  LotAttestationsView,
  LotClaimView,
  MemberAttestationsParameters,
  SchemeRef,
} from "./attestations";
