export { Role, bitsToRoles, rolesToBits } from "./roles";
export type { RoleName } from "./roles";
export { actsAs, memberStandingReader } from "./standing";
export type { MemberStanding, MemberStandingReader } from "./standing";
export { MEMBER_KINDS, isMemberKind } from "./kinds";
export type { MemberKind } from "./kinds";
