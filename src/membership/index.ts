export { Role, bitsToRoles, rolesToBits } from "./roles";
export type { RoleName } from "./roles";
