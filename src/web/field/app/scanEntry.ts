import * as scanner from "./scan";

/**
 * The card scanner as its own script (scan.js): jsQR is as large as the rest of the app, and only
 * the farmers screen's camera needs it. The app adds this script when the camera opens (loadScanner).
 */
(globalThis as unknown as { firstmileScan: typeof scanner }).firstmileScan = scanner;
