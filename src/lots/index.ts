export { computeHistoryHead, eventDigest, foldHead, HistoryHeadError, LotEventKind } from "./historyHead";
export type { Hex, LotHistoryEvent } from "./historyHead";
export { Commodity, FORMS, FormId, YIELDS, formById, formByKey } from "./forms";
export type { CommodityName, FormSpec, YieldSpec } from "./forms";
