import { PNG } from "pngjs";
import { createSoftCredential, softAssertion, softRegistration } from "../payments/softAuthenticator";
import { fetchPastLimits, type Pace } from "../http/fetchPastLimits";
import { DemoSeedError, type DemoMemberClient } from "./demoClient";

/**
 * The demo farmers' word on their payments, of every kind. Passkey farmers confirm on their own
 * page; in the demo the passkey is made by a software authenticator (a real P-256 key, real
 * authenticatorData and clientDataJSON, see payments/softAuthenticator.ts) and goes through the
 * gateway's own verifier over HTTP, because starting a browser at `npm start` would be slow and
 * fragile. Others confirm through a field agent who enters the receipt code, or on a paper
 * receipt they signed, photographed and kept as private evidence (the weaker kinds, never counted
 * as a passkey confirmation); some have not answered. Then the cooperative publishes the batch of
 * confirmations on chain, so the public passkey share counts them. Safe to run again: a payment
 * that has a confirmation is skipped, the batch is asked for with the same idempotency key.
 */
export type DemoAnswer = "passkey" | "agent-code" | "paper" | null;

/**
 * How the farmer of the i-th cocoa delivery (of 40) answers: every even one by passkey (20); the
 * odd ones by this pattern, 11 through a field agent, 5 on paper, 4 not at all.
 */
const ODD_ANSWERS = "APANAPANAPANAPANAAPA";
export function demoAnswerOf(i: number): DemoAnswer {
  if (i % 2 === 0) return "passkey";
  const letter = ODD_ANSWERS[((i - 1) / 2) % ODD_ANSWERS.length];
  return letter === "A" ? "agent-code" : letter === "P" ? "paper" : null;
}

export type ConfirmDemoPaymentsParameters = {
  cooperative: DemoMemberClient;
  payments: readonly { id: string; farmerId: string; answer: DemoAnswer }[];
  /** The gateway to call, and the public origin the farmer's page (and so the passkey) is on. */
  gatewayUrl: string;
  origin: string;
  /** The idempotency key of the batch's request. */
  key: string;
};

export type DemoConfirmationCounts = { passkey: number; agent: number; paper: number; batch: { root: string; count: number } | null };

export async function confirmDemoPayments(p: ConfirmDemoPaymentsParameters): Promise<DemoConfirmationCounts> {
  const counts: DemoConfirmationCounts = { passkey: 0, agent: 0, paper: 0, batch: null };
  // The farmers answer side by side, as they would in a village, a few at a time.
  await Promise.all(
    chunks(p.payments.filter((payment) => payment.answer !== null), 4).map(async (group) => {
      for (const payment of group) {
        const existing = await p.cooperative.expect(200, "GET", `/v1/payments/${payment.id}/confirmations`);
        if (existing.confirmations.length > 0) continue;
        if (payment.answer === "paper") {
          const photo = await p.cooperative.expect(201, "POST", `/v1/private-evidence?kind=other&farmerId=${payment.farmerId}`, receiptPhotoPng(payment.id), { "content-type": "image/png" });
          await p.cooperative.expect(201, "POST", `/v1/payments/${payment.id}/confirmations`, { kind: "paper", verdict: "confirmed", evidenceCid: photo.cid, recordedBy: "Demo field agent" });
          counts.paper++;
          continue;
        }
        const receipt = await p.cooperative.expect(201, "POST", `/v1/payments/${payment.id}/receipt`, { format: "json" });
        if (payment.answer === "agent-code") {
          await p.cooperative.expect(201, "POST", `/v1/payments/${payment.id}/confirmations`, { kind: "agent-code", verdict: "confirmed", receiptCode: receipt.code, recordedBy: "Demo field agent" });
          counts.agent++;
          continue;
        }
        await confirmWithSoftPasskey({ gatewayUrl: p.gatewayUrl, origin: p.origin, code: receipt.code, paymentId: payment.id, verdict: "confirmed", pace: p.cooperative.pace });
        counts.passkey++;
      }
    }),
  );
  // The batch of every confirmation not yet in one, on chain beside the run's root. Asked with the
  // same key on a run again: the first answer comes back; after a batch, nothing new is a 409.
  const runRoot = await publishedRunOf(p.cooperative, p.payments[0]!.id);
  const accepted = await p.cooperative.call("POST", `/v1/payout-runs/${runRoot}/confirmation-batches`, {}, { "idempotency-key": p.key });
  if (accepted.status === 202) {
    await p.cooperative.settle(accepted.body.id, p.key);
    counts.batch = { root: accepted.body.confirmationBatch.batchRoot, count: accepted.body.confirmationBatch.count };
  } else if (!(accepted.status === 409 && accepted.body?.error?.code === "nothing_to_publish")) {
    throw new DemoSeedError(`POST /v1/payout-runs/${runRoot}/confirmation-batches as member ${p.cooperative.memberId}: ${accepted.status}`, { details: JSON.stringify(accepted.body).slice(0, 600) });
  }
  return counts;
}

/** The payout run a payment is in, once its root is indexed (the batch needs the run on chain). */
async function publishedRunOf(cooperative: DemoMemberClient, paymentId: string): Promise<string> {
  const root = (await cooperative.expect(200, "GET", `/v1/payments/${paymentId}`)).payoutRoot as string;
  const deadline = Date.now() + 120_000;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    const runs = (await cooperative.expect(200, "GET", "/v1/payout-runs")).payoutRuns as { root: string; published: boolean }[];
    if (runs.find((run) => run.root === root)?.published) return root;
    if (Date.now() > deadline) throw new DemoSeedError(`demo: payout run ${root} of member ${cooperative.memberId} is still not indexed after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * A farmer's phone confirms (or disputes) a payment with a new passkey: opens the page with the
 * receipt code, creates a software passkey, answers the payment's challenge. Through the
 * gateway's HTTP routes and verifier, as a phone's browser would.
 */
export async function confirmWithSoftPasskey(p: { gatewayUrl: string; origin: string; code: string; paymentId: string; verdict: "confirmed" | "disputed"; pace?: Pace | undefined }): Promise<void> {
  const phone = await farmerPhone(p.gatewayUrl, p.code, p.pace);
  const credential = createSoftCredential();
  const registration = await phone.post("/me/passkeys/options", {});
  await phone.post("/me/passkeys", { response: softRegistration(credential, registration, p.origin) });
  const challenge = await phone.post(`/me/payments/${p.paymentId}/challenge`, { verdict: p.verdict });
  await phone.post(`/me/payments/${p.paymentId}/confirmation`, { response: softAssertion(credential, challenge, p.origin) });
}

/**
 * A photo of a signed paper receipt, as the demo has none: a small greyscale PNG with a few ruled
 * lines, different per payment (so every photo is its own document).
 */
export function receiptPhotoPng(seed: string): Buffer {
  const width = 96;
  const height = 128;
  const png = new PNG({ width, height });
  let h = 0;
  for (const ch of seed) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const line = y % 12 === 0 && x > 8 && x < width - 8;
      const signature = y > 100 && y < 116 && Math.abs(Math.sin((x + h) / 5) * 6 + 108 - y) < 1.5;
      const v = line || signature ? 40 : 235 - ((x * 7 + y * 13 + h) % 9);
      const at = (y * width + x) * 4;
      png.data[at] = v;
      png.data[at + 1] = v;
      png.data[at + 2] = v;
      png.data[at + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => out[i % n]!.push(item));
  return out.filter((group) => group.length > 0);
}

/** A farmer's phone session on the page, opened with the receipt code. */
async function farmerPhone(gatewayUrl: string, code: string, pace?: Pace) {
  const opened = await fetchPastLimits(`${gatewayUrl}/me/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) }, { pace });
  if (opened.status !== 204) throw new Error(`demo: the receipt code opened no farmer page (${opened.status} ${await opened.text()})`);
  const cookie = opened.headers.get("set-cookie")!.split(";")[0]!;
  return {
    async post(path: string, body: unknown) {
      const response = await fetchPastLimits(`${gatewayUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify(body) }, { pace });
      const answer = await response.json();
      if (!response.ok) throw new Error(`demo: ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
      return answer;
    },
  };
}
