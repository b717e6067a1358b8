import inspector from "node:inspector";

/**
 * Profiles this process's main thread (the Node inspector's CPU profiler) until the answered
 * function is called, which gives the profile (a `.cpuprofile`: open it in Chrome DevTools).
 */
export async function startNodeProfile(): Promise<() => Promise<unknown>> {
  const session = new inspector.Session();
  session.connect();
  const post = (method: string) => new Promise<any>((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));
  await post("Profiler.enable");
  await post("Profiler.start");
  return async () => {
    const { profile } = await post("Profiler.stop");
    session.disconnect();
    return profile;
  };
}
