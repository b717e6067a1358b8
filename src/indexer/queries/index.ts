export { getLot, getLots, listLots, lotExists, lotViewFromRow, commodityName } from "./lots";
export type { LotView, LotFilters, ListLotsParameters, Page, AccountRef } from "./lots";
export { getEventsOfLots, getIngredientsOfLots, getLotHistory } from "./lotHistory";
export type { LotEventRecord, LotEventView, LotIngredientRecord, GetLotHistoryParameters } from "./lotHistory";
export { getLotDag } from "./lotDag";
export type { DagDirection, DagEdgeView, DagNodeView, LotDagView, GetLotDagParameters } from "./lotDag";
export { getMember, getMemberSummaries, memberExists, membersOfAccounts, memberDeliveriesByDay, memberStockByForm, DateRangeError } from "./members";
export type { MemberSummary, MemberView, DeliveryDayView, DeliveriesByDayParameters, StockView } from "./members";
export { InvalidCursorError, DagTooLargeError } from "./errors";
export { QUERY_LIMITS, MAX_READ_MODEL_ID, fitsReadModelId } from "./limits";
export { readModelSnapshot } from "./snapshot";
export { getLotAttestations, getLotCarriedClaims, getPlotAttestations, memberAttestations, memberCredits, attestationStatus } from "./attestations";
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
export { getDeliveries, getPayoutRuns, getPremiumCommitments } from "./payouts";
export type { DeliveryView, PayoutRunView, PremiumCommitmentView } from "./payouts";
export { getDdsReferences, getOriginClaimCounts } from "./eudr";
export type { DdsReferenceView, OriginClaimCount } from "./eudr";
export { getEpcisLotRecords, epcisRecordsOf, epcisRecordsOfAnchors, findEpcisEventAnchors, lotIdsOfProducts, MAX_EPCIS_LOTS, OBJECT_EVENT_KINDS, OPERATION_KINDS } from "./epcis";
export type { EpcisRecords, EpcisEventAnchor, FindEpcisEventsParameters, ObjectEventKind, OperationKind } from "./epcis";
