export { Role, bitsToRoles, rolesToBits } from "./roles";
export type { RoleName } from "./roles";
export { MEMBER_KINDS, isMemberKind } from "./kinds";
export type { MemberKind } from "./kinds";
