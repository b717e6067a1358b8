/** The gateway process: everything composed from one config, and the members' administration. */
export { startGateway, GatewayStartError } from "./startGateway";
export type { Gateway, StartGatewayParameters } from "./startGateway";
export { connectChain } from "./connectChain";
export type { ConnectedChain } from "./connectChain";
export { addMember, listMembers, suspendMember, issueMemberToken, MemberAdminError } from "./memberAdmin";
export type { AddMemberParameters, AddedMember, MemberAdmin, MemberSummary } from "./memberAdmin";
export { sendControlCommand } from "./controlSocket";
