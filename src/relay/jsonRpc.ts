// The JSON-RPC client lives in the chain layer; the relay's stages import it from here until they move.
export { jsonRpcOf, type JsonRpc } from "../chain/jsonRpc";
