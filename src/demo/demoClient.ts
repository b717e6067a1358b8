import { BaseError } from "../errors";
import { fetchPastLimits, type Pace } from "../http/fetchPastLimits";

/** A demo step the gateway refused, or a relayed call that failed on chain. */
export class DemoSeedError extends BaseError {
  override name = "DemoSeedError";
}

export type MinedRequest = {
  id: string;
  blockNumber: number;
  outputs: { lotIds?: string[]; uids?: string[]; [key: string]: unknown };
};

/**
 * A member's way into the running gateway, as any client would go: its API token, an
 * `Idempotency-Key` per write (derived from the step's name, so an interrupted seed that runs
 * again gets the first answers back instead of doing anything twice), and the request followed
 * until it is mined.
 */
export class DemoMemberClient {
  constructor(
    readonly base: string,
    private readonly token: string,
    readonly memberId: string,
    /** Shared by the clients that call from one address (the gateway limits requests per address). */
    readonly pace?: Pace,
  ) {}

  async call(method: "GET" | "POST", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const response = await fetchPastLimits(`${this.base}${path}`, {
      method,
      // A FormData body goes as multipart/form-data with the boundary fetch chooses.
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined || body instanceof Uint8Array || body instanceof FormData ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : body instanceof Uint8Array ? Buffer.from(body) : body instanceof FormData ? body : JSON.stringify(body),
    }, { pace: this.pace });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text for the error message
    }
    return { status: response.status, body: parsed };
  }

  /** A JSON write that must answer `expected`; anything else is a DemoSeedError with the gateway's words. */
  async expect(status: number | number[], method: "GET" | "POST", path: string, body?: unknown, headers?: Record<string, string>): Promise<any> {
    const answer = await this.call(method, path, body, headers);
    if (!(Array.isArray(status) ? status : [status]).includes(answer.status)) {
      throw new DemoSeedError(`${method} ${path} as member ${this.memberId}: ${answer.status}`, { details: JSON.stringify(answer.body).slice(0, 600) });
    }
    return answer.body;
  }

  /** Stores a JSON document as evidence and answers its CID and chain digest. */
  async putJson(document: unknown): Promise<{ cid: string; digest: string }> {
    const bytes = new TextEncoder().encode(JSON.stringify(document));
    const body = await this.expect(201, "POST", "/v1/evidence?type=application/json", bytes, { "content-type": "application/octet-stream" });
    return { cid: body.cid, digest: body.digest };
  }

  /** Sends a relayed write under `key` and waits until it is mined (or throws with the contract's error). */
  async relay(key: string, path: string, body: unknown): Promise<MinedRequest> {
    const accepted = await this.expect(202, "POST", path, body, { "idempotency-key": key });
    return this.settle(accepted.id, key);
  }

  async settle(id: string, key: string, timeoutMs = 60_000): Promise<MinedRequest> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 250)) {
      const request = await this.expect(200, "GET", `/v1/requests/${id}`);
      if (request.status === "mined") return { id, blockNumber: Number(request.transaction.blockNumber), outputs: request.outputs ?? {} };
      if (request.status === "failed") {
        throw new DemoSeedError(`demo step ${key} failed: ${request.error?.name ?? "error"}`, { details: `${request.error?.message ?? ""} ${JSON.stringify(request.error?.args ?? {})}` });
      }
      if (Date.now() > deadline) throw new DemoSeedError(`demo step ${key}: request ${id} still ${request.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
