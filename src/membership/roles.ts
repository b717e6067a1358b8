/** Role bits, as contracts/membership/Roles.sol defines them. */
export const Role = {
  cooperative: 1 << 0,
  processor: 1 << 1,
  certifier: 1 << 2,
  brand: 1 << 3,
  relayer: 1 << 4,
  governor: 1 << 5,
} as const;
export type RoleName = keyof typeof Role;

export function rolesToBits(names: readonly RoleName[]): number {
  return names.reduce((bits, name) => bits | Role[name], 0);
}

export function bitsToRoles(bits: number): RoleName[] {
  return (Object.keys(Role) as RoleName[]).filter((name) => (bits & Role[name]) !== 0);
}
