/** The part of upng-js (no types of its own) the screenshots script uses. */
declare module "upng-js" {
  const UPNG: {
    /** RGBA frames to a PNG; `colours` > 0 quantises to an indexed PNG of at most that many colours. */
    encode(frames: ArrayBuffer[], width: number, height: number, colours: number): ArrayBuffer;
  };
  export default UPNG;
}
