import { createSoftCredential, softAssertion, softRegistration } from "../payments/softAuthenticator";
import type { DemoMemberClient } from "./demoClient";

/**
 * The demo farmers' word on their payments. Every other Sulawesi farmer confirms on their own
 * page with a passkey; in the demo the passkey is made by a software authenticator (a real P-256
 * key, real authenticatorData and clientDataJSON, see payments/softAuthenticator.ts) and goes
 * through the gateway's own verifier over HTTP, because starting a browser at `npm start` would be
 * slow and fragile. Of the others, every second one confirms through a field agent who enters the
 * receipt code (the weaker kind, never counted as a passkey confirmation); the rest have not
 * answered. Safe to run again: a payment that has a confirmation is skipped.
 */
export type ConfirmDemoPaymentsParameters = {
  cooperative: DemoMemberClient;
  paymentIds: readonly string[];
  /** The gateway to call, and the public origin the farmer's page (and so the passkey) is on. */
  gatewayUrl: string;
  origin: string;
};

export async function confirmDemoPayments(p: ConfirmDemoPaymentsParameters): Promise<{ passkey: number; agent: number }> {
  const counts = { passkey: 0, agent: 0 };
  for (const [i, paymentId] of p.paymentIds.entries()) {
    if (i % 4 === 3) continue;
    const existing = await p.cooperative.expect(200, "GET", `/v1/payments/${paymentId}/confirmations`);
    if (existing.confirmations.length > 0) continue;
    const receipt = await p.cooperative.expect(201, "POST", `/v1/payments/${paymentId}/receipt`, { format: "json" });
    if (i % 2 === 1) {
      await p.cooperative.expect(201, "POST", `/v1/payments/${paymentId}/confirmations`, { kind: "agent-code", verdict: "confirmed", receiptCode: receipt.code, recordedBy: "Demo field agent" });
      counts.agent++;
      continue;
    }
    const phone = await farmerPhone(p.gatewayUrl, receipt.code);
    const credential = createSoftCredential();
    const registration = await phone.post("/me/passkeys/options", {});
    await phone.post("/me/passkeys", { response: softRegistration(credential, registration, p.origin) });
    const challenge = await phone.post(`/me/payments/${paymentId}/challenge`, { verdict: "confirmed" });
    await phone.post(`/me/payments/${paymentId}/confirmation`, { response: softAssertion(credential, challenge, p.origin) });
    counts.passkey++;
  }
  return counts;
}

/** A farmer's phone session on the page, opened with the receipt code. */
async function farmerPhone(gatewayUrl: string, code: string) {
  const opened = await fetch(`${gatewayUrl}/me/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
  if (opened.status !== 204) throw new Error(`demo: the receipt code opened no farmer page (${opened.status} ${await opened.text()})`);
  const cookie = opened.headers.get("set-cookie")!.split(";")[0]!;
  return {
    async post(path: string, body: unknown) {
      const response = await fetch(`${gatewayUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify(body) });
      const answer = await response.json();
      if (!response.ok) throw new Error(`demo: ${path} answered ${response.status}: ${JSON.stringify(answer)}`);
      return answer;
    },
  };
}
