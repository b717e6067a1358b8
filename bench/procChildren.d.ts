/** The pids of a process's children, from /proc: empty once it has exited. */
export function children(pid: number): number[];
