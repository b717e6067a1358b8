import { ZeroHash } from "ethers";
import { foldEvent, ingredientsDigest, type LotHistoryEvent } from "../../lots/historyHead";
import { tracedShares } from "../../lots/transformRule";
import { HistoryHeadMismatchError, IndexerStateError } from "../errors";
import {
  emptyRowBatch,
  handoverKey,
  yieldBoundsKey,
  type AccountRow,
  type AttestationRow,
  type FormRow,
  type HandoverRow,
  type LotRow,
  type MemberRow,
  type RowBatch,
} from "../store/rows";
import type { AttestationEvent, IndexedEvent } from "./events";

/**
 * What the projector knows before a batch: the rows its events touch, loaded by the store in a few
 * queries (`loadProjectionState`), and updated in place as the batch is projected.
 */
export type ProjectionState = {
  members: Map<bigint, MemberRow>;
  accounts: Map<string, AccountRow>;
  /** Every registered form (a small table). */
  forms: Map<number, FormRow>;
  /** Lots the batch's events refer to or create (absent: not in the read model). */
  lots: Map<bigint, LotRow>;
  /** Open handovers of those lots, by `handoverKey`. */
  openHandovers: Map<string, HandoverRow>;
  /** Accounts ever added: the next account gets this number + 1. */
  accountCount: number;
  /** Attestations the batch revokes, by uid. */
  attestations: Map<string, AttestationRow>;
};

/** The rows a batch of events needs loaded before it can be projected. */
export type StateNeeds = { lotIds: Set<bigint>; accounts: Set<string>; memberIds: Set<bigint>; attestationUids: Set<string> };

export function emptyProjectionState(): ProjectionState {
  return { members: new Map(), accounts: new Map(), forms: new Map(), lots: new Map(), openHandovers: new Map(), accountCount: 0, attestations: new Map() };
}

export function stateNeeds(events: readonly IndexedEvent[]): StateNeeds {
  const needs: StateNeeds = { lotIds: new Set(), accounts: new Set(), memberIds: new Set(), attestationUids: new Set() };
  for (const event of events) {
    switch (event.type) {
      case "MemberAdded":
      case "MemberStatusChanged":
      case "RolesChanged":
      case "MetadataChanged":
        needs.memberIds.add(event.memberId);
        break;
      case "AccountAdded":
      case "AccountStatusChanged":
        needs.memberIds.add(event.memberId);
        needs.accounts.add(event.account);
        break;
      case "LotsMinted":
        needs.accounts.add(event.custodian);
        for (let i = 0; i < event.deliveries.length; i++) needs.lotIds.add(event.firstLotId + BigInt(i));
        break;
      case "HandoverOffered":
      case "HandoverCancelled":
      case "HandoverRejected":
        needs.lotIds.add(event.lotId);
        needs.accounts.add(event.custodian).add(event.receiver);
        break;
      case "HandoverAccepted":
        needs.lotIds.add(event.lotId);
        needs.accounts.add(event.custodian).add(event.previousCustodian);
        break;
      case "LotsDerived":
        needs.accounts.add(event.custodian);
        for (const id of event.inputIds) needs.lotIds.add(id);
        for (let i = 0; i < event.outputs.length; i++) needs.lotIds.add(event.firstOutputId + BigInt(i));
        break;
      case "EvidenceAttached":
        needs.lotIds.add(event.lotId);
        needs.accounts.add(event.by);
        break;
      case "Attested":
        needs.accounts.add(event.attester);
        break;
      case "Revoked":
        needs.attestationUids.add(event.uid);
        break;
      case "MassBalanceCredited":
        needs.lotIds.add(event.lotId);
        break;
      case "FormRegistered":
      case "FormToleranceChanged":
      case "YieldBoundsSet":
      case "DryBasisSet":
      case "SchemeRegistered":
      case "Accredited":
      case "AccreditationWithdrawn":
      case "ClaimCarried":
      case "OriginClaimed":
      case "DdsReferenced":
      case "MassBalanceDebited":
      case "MassBalanceWithdrawn":
      case "PremiumCommitted":
      case "PayoutRunPublished":
      case "ConfirmationRootPublished":
        break;
    }
  }
  return needs;
}

/**
 * Projects events, in chain order, onto read-model rows. Pure apart from updating `state`: no
 * I/O. Every lot event's history head is recomputed with the shared twin (`foldEvent`:
 * `eventDigest` folded into the head) from the lot's previous head and compared with the head the contract emitted.
 *
 * @throws {HistoryHeadMismatchError} when a recomputed head differs from the emitted one.
 * @throws {IndexerStateError} when an event refers to something the read model does not have.
 */
export function projectEvents(events: readonly IndexedEvent[], state: ProjectionState): RowBatch {
  const batch = emptyRowBatch();
  for (const event of events) projectEvent(event, state, batch);
  return batch;
}

/**
 * `projectEvents`, giving the event loop a turn after every `slice` events: beside a write to
 * PostgreSQL, whose transaction moves one round trip at a time on this thread, a projection that
 * held the thread for the whole batch would hold the write back with it.
 */
export async function projectEventsYielding(events: readonly IndexedEvent[], state: ProjectionState, slice = 100): Promise<RowBatch> {
  const batch = emptyRowBatch();
  for (let index = 0; index < events.length; index++) {
    if (index > 0 && index % slice === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    projectEvent(events[index]!, state, batch);
  }
  return batch;
}

function projectEvent(event: IndexedEvent, state: ProjectionState, batch: RowBatch): void {
  const { position, blockTime } = event;
  switch (event.type) {
    case "SchemeRegistered":
    case "Accredited":
    case "AccreditationWithdrawn":
    case "Attested":
    case "Revoked":
    case "ClaimCarried":
    case "OriginClaimed":
    case "MassBalanceCredited":
    case "MassBalanceDebited":
    case "MassBalanceWithdrawn":
      return projectAttestationEvent(event, state, batch);
    case "PremiumCommitted":
      batch.premiumCommitments.push({
        commitmentId: event.commitmentId,
        lotId: event.lotId,
        memberId: event.member,
        scheme: event.scheme,
        currency: event.currency,
        ratePerKg: event.ratePerKg,
        grams: event.grams,
        position,
        txHash: event.txHash,
        committedAt: blockTime,
      });
      return;
    case "PayoutRunPublished":
      batch.payoutRuns.push({
        root: event.root,
        memberId: event.member,
        count: event.count,
        totals: JSON.stringify(event.totals.map((t) => ({ currency: t.currency, total: t.total.toString() }))),
        position,
        txHash: event.txHash,
        publishedAt: blockTime,
      });
      return;
    case "ConfirmationRootPublished":
      batch.confirmationBatches.push({ batchRoot: event.batchRoot, runRoot: event.runRoot, memberId: event.member, count: event.count, position, txHash: event.txHash, publishedAt: blockTime });
      return;
    case "DdsReferenced":
      batch.ddsReferences.push({
        position,
        lotId: event.lotId,
        memberId: event.member,
        by: event.by,
        referenceNumber: event.referenceNumber,
        verificationNumber: event.verificationNumber,
        txHash: event.txHash,
        blockTime,
      });
      return;
    case "MemberAdded": {
      if (state.members.has(event.memberId)) throw new IndexerStateError(`Member ${event.memberId} added twice (position ${position})`);
      const member: MemberRow = {
        memberId: event.memberId,
        roles: event.roles,
        active: true,
        country: event.country,
        metadata: event.metadata,
        addedPosition: position,
        addedAt: blockTime,
        updatedPosition: position,
      };
      state.members.set(member.memberId, member);
      batch.members.set(member.memberId, member);
      return;
    }
    case "AccountAdded": {
      requireMember(state, event.memberId, position);
      if (state.accounts.has(event.account)) throw new IndexerStateError(`Account ${event.account} added twice (position ${position})`);
      const account: AccountRow = {
        address: event.account,
        memberId: event.memberId,
        number: ++state.accountCount,
        active: true,
        addedPosition: position,
        addedAt: blockTime,
      };
      state.accounts.set(account.address, account);
      batch.accounts.set(account.address, account);
      return;
    }
    case "AccountStatusChanged": {
      const account = requireAccount(state, event.account, position);
      account.active = event.active;
      batch.accounts.set(account.address, account);
      return;
    }
    case "MemberStatusChanged":
    case "RolesChanged":
    case "MetadataChanged": {
      const member = requireMember(state, event.memberId, position);
      if (event.type === "MemberStatusChanged") member.active = event.active;
      else if (event.type === "RolesChanged") member.roles = event.roles;
      else member.metadata = event.metadata;
      member.updatedPosition = position;
      batch.members.set(member.memberId, member);
      return;
    }
    case "FormRegistered": {
      const { commodity, lossBps, gainBps, mintable, name } = event;
      // Dry weight is the form catalogue's to say (DryBasisSet), after the registry registered the form.
      const form: FormRow = { form: event.form, commodity, lossBps, gainBps, mintable, dryBasis: false, name, registeredPosition: position };
      state.forms.set(form.form, form);
      batch.forms.set(form.form, form);
      return;
    }
    case "FormToleranceChanged": {
      const form = state.forms.get(event.form);
      if (!form) throw new IndexerStateError(`Tolerance changed for unknown form ${event.form} (position ${position})`);
      form.lossBps = event.lossBps;
      form.gainBps = event.gainBps;
      batch.forms.set(form.form, form);
      return;
    }
    case "DryBasisSet": {
      const form = state.forms.get(event.form);
      if (!form) throw new IndexerStateError(`Dry weight set for unknown form ${event.form} (position ${position})`);
      form.dryBasis = event.dryBasis;
      batch.forms.set(form.form, form);
      return;
    }
    case "YieldBoundsSet": {
      const { inputForm, outputForm, minBps, maxBps } = event;
      batch.yieldBounds.set(yieldBoundsKey(inputForm, outputForm), { inputForm, outputForm, minBps, maxBps, updatedPosition: position });
      return;
    }
    case "LotsMinted": {
      const account = requireAccount(state, event.custodian, position);
      event.deliveries.forEach((delivery, index) => {
        const lotId = event.firstLotId + BigInt(index);
        if (state.lots.has(lotId)) throw new IndexerStateError(`Lot ${lotId} minted twice (position ${position})`);
        const history: LotHistoryEvent = {
          kind: "minted",
          lotId,
          custodian: event.custodian,
          form: delivery.form,
          grams: delivery.grams,
          quality: delivery.quality,
          metadata: delivery.metadata,
          origin: delivery.origin,
        };
        const head = checkHead(lotId, ZeroHash, history, event.heads[index], position);
        const lot: LotRow = {
          lotId,
          commodity: requireForm(state, delivery.form, position).commodity,
          form: delivery.form,
          grams: delivery.grams,
          quality: delivery.quality,
          status: "active",
          custodian: event.custodian,
          custodianMember: account.memberId,
          pendingReceiver: null,
          pendingReceiverMember: null,
          openHandoverSeq: null,
          creator: event.custodian,
          creatorMember: account.memberId,
          genesis: "minted",
          metadata: delivery.metadata,
          origin: delivery.origin,
          head,
          eventCount: 0,
          createdPosition: position,
          createdBlock: event.blockNumber,
          createdTx: event.txHash,
          createdAt: blockTime,
          consumedPosition: null,
          consumedAt: null,
          updatedPosition: position,
        };
        state.lots.set(lotId, lot);
        appendLotEvent(batch, lot, history, event);
      });
      return;
    }
    case "HandoverOffered": {
      const lot = requireLot(state, event.lotId, position);
      const receiver = requireAccount(state, event.receiver, position);
      const history: LotHistoryEvent = { kind: "offered", lotId: lot.lotId, custodian: event.custodian, receiver: event.receiver };
      lot.head = checkHead(lot.lotId, lot.head, history, event.head, position);
      const offerSeq = appendLotEvent(batch, lot, history, event);
      lot.status = "in_transit";
      lot.pendingReceiver = event.receiver;
      lot.pendingReceiverMember = receiver.memberId;
      lot.openHandoverSeq = offerSeq;
      const handover: HandoverRow = {
        lotId: lot.lotId,
        offerSeq,
        sender: event.custodian,
        senderMember: requireAccount(state, event.custodian, position).memberId,
        receiver: event.receiver,
        receiverMember: receiver.memberId,
        status: "offered",
        gramsSent: lot.grams,
        gramsReceived: null,
        quality: null,
        reason: null,
        acceptedBy: null,
        offeredPosition: position,
        offeredAt: blockTime,
        closedPosition: null,
        closedAt: null,
      };
      state.openHandovers.set(handoverKey(lot.lotId, offerSeq), handover);
      batch.handovers.set(handoverKey(lot.lotId, offerSeq), handover);
      return;
    }
    case "HandoverCancelled":
    case "HandoverRejected":
    case "HandoverAccepted": {
      const lot = requireLot(state, event.lotId, position);
      const history: LotHistoryEvent =
        event.type === "HandoverCancelled"
          ? { kind: "cancelled", lotId: lot.lotId, custodian: event.custodian, receiver: event.receiver }
          : event.type === "HandoverRejected"
            ? { kind: "rejected", lotId: lot.lotId, custodian: event.custodian, receiver: event.receiver, reason: event.reason }
            : {
                kind: "accepted",
                lotId: lot.lotId,
                previousCustodian: event.previousCustodian,
                custodian: event.custodian,
                gramsSent: event.gramsSent,
                gramsReceived: event.gramsReceived,
                quality: event.quality,
              };
      lot.head = checkHead(lot.lotId, lot.head, history, event.head, position);
      appendLotEvent(batch, lot, history, event);
      const key = lot.openHandoverSeq === null ? null : handoverKey(lot.lotId, lot.openHandoverSeq);
      const handover = key === null ? undefined : state.openHandovers.get(key);
      if (!handover || key === null) throw new IndexerStateError(`${event.type} on lot ${lot.lotId} without an open offer (position ${position})`);
      handover.closedPosition = position;
      handover.closedAt = blockTime;
      if (event.type === "HandoverAccepted") {
        const custodian = requireAccount(state, event.custodian, position);
        handover.status = "accepted";
        handover.gramsReceived = event.gramsReceived;
        handover.quality = event.quality;
        handover.acceptedBy = event.custodian;
        lot.quality = event.quality;
        lot.custodian = event.custodian;
        lot.custodianMember = custodian.memberId;
        // A handover never adds mass: the lot weighs the lighter of the sent and received weights.
        lot.grams = event.gramsReceived < event.gramsSent ? event.gramsReceived : event.gramsSent;
      } else {
        handover.status = event.type === "HandoverCancelled" ? "cancelled" : "rejected";
        if (event.type === "HandoverRejected") handover.reason = event.reason;
      }
      lot.status = "active";
      lot.pendingReceiver = null;
      lot.pendingReceiverMember = null;
      lot.openHandoverSeq = null;
      state.openHandovers.delete(key);
      batch.handovers.set(key, handover);
      return;
    }
    case "LotsDerived": {
      const account = requireAccount(state, event.custodian, position);
      const inputs = event.inputIds.map((id) => requireLot(state, id, position));
      const outputCount = BigInt(event.outputs.length);
      inputs.forEach((input, index) => {
        const history: LotHistoryEvent = { kind: event.kind, lotId: input.lotId, firstOutputId: event.firstOutputId, outputCount };
        input.head = checkHead(input.lotId, input.head, history, event.inputHeads[index], position);
        appendLotEvent(batch, input, history, event);
        input.status = "consumed";
        input.consumedPosition = position;
        input.consumedAt = blockTime;
      });
      const inputsGrams = inputs.reduce((sum, input) => sum + input.grams, 0n);
      // Edges carry what came from the inputs: declared ingredients came from no parent, so an
      // output's traced share (its grams less its part of them) flows along them.
      const traced = tracedShares(event.outputs, event.ingredients);
      const outputsGrams = traced.reduce((sum, grams) => sum + grams, 0n);
      const ingredients = ingredientsDigest(event.ingredients);
      event.outputs.forEach((output, index) => {
        const lotId = event.firstOutputId + BigInt(index);
        if (state.lots.has(lotId)) throw new IndexerStateError(`Lot ${lotId} derived twice (position ${position})`);
        const history: LotHistoryEvent = {
          kind: "derived",
          lotId,
          custodian: event.custodian,
          form: output.form,
          grams: output.grams,
          quality: output.quality,
          metadata: output.metadata,
          ingredients,
          inputIds: event.inputIds,
          inputHeads: event.inputHeads,
        };
        const head = checkHead(lotId, ZeroHash, history, event.outputHeads[index], position);
        const lot: LotRow = {
          lotId,
          commodity: requireForm(state, output.form, position).commodity,
          form: output.form,
          grams: output.grams,
          quality: output.quality,
          status: "active",
          custodian: event.custodian,
          custodianMember: account.memberId,
          pendingReceiver: null,
          pendingReceiverMember: null,
          openHandoverSeq: null,
          creator: event.custodian,
          creatorMember: account.memberId,
          genesis: event.kind,
          metadata: output.metadata,
          origin: null,
          head,
          eventCount: 0,
          createdPosition: position,
          createdBlock: event.blockNumber,
          createdTx: event.txHash,
          createdAt: blockTime,
          consumedPosition: null,
          consumedAt: null,
          updatedPosition: position,
        };
        state.lots.set(lotId, lot);
        appendLotEvent(batch, lot, history, event);
        event.ingredients.forEach((item, seq) => {
          batch.lotIngredients.push({ lotId, seq, outputForm: item.outputForm, grams: item.grams, name: item.name, position });
        });
        for (const input of inputs) {
          batch.lotEdges.push({
            parentId: input.lotId,
            childId: lotId,
            kind: event.kind,
            parentGrams: input.grams,
            childGrams: traced[index]!,
            inputsGrams,
            outputsGrams,
            position,
            createdAt: blockTime,
          });
        }
      });
      return;
    }
    case "EvidenceAttached": {
      const lot = requireLot(state, event.lotId, position);
      const by = requireAccount(state, event.by, position);
      const history: LotHistoryEvent = { kind: "evidence", lotId: lot.lotId, by: event.by, evidence: event.evidence };
      lot.head = checkHead(lot.lotId, lot.head, history, event.head, position);
      const seq = appendLotEvent(batch, lot, history, event);
      batch.lotEvidence.push({
        lotId: lot.lotId,
        seq,
        digest: event.evidence,
        by: event.by,
        byMember: by.memberId,
        position,
        txHash: event.txHash,
        blockTime,
      });
      return;
    }
  }
}

/** The contract's "no expiry" (uint48 max); stored as null like an expiry of 0. */
export const NO_EXPIRY = 2 ** 48 - 1;
const expiry = (seconds: number) => (seconds === 0 || seconds === NO_EXPIRY ? null : seconds);

function projectAttestationEvent(event: IndexedEvent & AttestationEvent, state: ProjectionState, batch: RowBatch): void {
  const { position, blockTime } = event;
  switch (event.type) {
    case "SchemeRegistered": {
      const { scheme, model, subjects, defaultValidity, name, version } = event;
      batch.schemes.set(scheme, { scheme, model, subjects, defaultValidity, name, version, registeredPosition: position });
      return;
    }
    case "Accredited":
    case "AccreditationWithdrawn": {
      const withdrawn = event.type === "AccreditationWithdrawn";
      // Withdrawing deletes the accreditation on chain: its time is 0 there too.
      const until = event.type === "Accredited" ? event.until : 0;
      batch.accreditations.set(`${event.scheme}:${event.member}`, { scheme: event.scheme, memberId: event.member, until, withdrawn, updatedPosition: position });
      return;
    }
    case "Attested": {
      const attester = requireAccount(state, event.attester, position);
      const row: AttestationRow = {
        uid: event.uid,
        scheme: event.scheme,
        subjectKind: event.subjectKind,
        subject: event.subject,
        lotId: event.subjectKind === 1 ? BigInt(event.subject) : null,
        attester: event.attester,
        attesterMember: attester.memberId,
        attestedAt: blockTime ? Math.floor(blockTime.getTime() / 1000) : null,
        expiresAt: expiry(event.expiresAt),
        evidence: event.evidence,
        dataHash: event.dataHash,
        position,
        txHash: event.txHash,
        revoked: false,
        revoker: null,
        revokeReason: null,
        revokedAt: null,
        revokedPosition: null,
      };
      state.attestations.set(row.uid, row);
      batch.attestations.set(row.uid, row);
      return;
    }
    case "Revoked": {
      const row = state.attestations.get(event.uid);
      if (!row) throw new IndexerStateError(`Revocation of attestation ${event.uid}, which the read model does not have (position ${position})`);
      Object.assign(row, {
        revoked: true,
        revoker: event.revoker,
        revokeReason: event.reason,
        revokedAt: blockTime ? Math.floor(blockTime.getTime() / 1000) : null,
        revokedPosition: position,
      });
      batch.attestations.set(row.uid, row);
      return;
    }
    case "ClaimCarried": {
      for (let i = 0; i < event.outputCount; i++) {
        const lotId = event.firstOutputId + BigInt(i);
        batch.lotClaims.set(`${lotId}:${event.scheme}`, {
          lotId,
          scheme: event.scheme,
          state: "carried",
          validUntil: expiry(event.validUntil),
          family: event.family === 0n ? null : event.family,
          position,
        });
      }
      return;
    }
    case "OriginClaimed":
      batch.lotClaims.set(`${event.lotId}:${event.scheme}`, {
        lotId: event.lotId,
        scheme: event.scheme,
        state: "origin",
        validUntil: null,
        family: event.lotId,
        originUid: event.uid,
        position,
      });
      return;
    case "MassBalanceCredited":
    case "MassBalanceDebited":
    case "MassBalanceWithdrawn": {
      const credit = event.type === "MassBalanceCredited";
      // A credit names a lot accepted with its claim (handover) or an output of claimed inputs,
      // created in this very transaction (derivation); a withdrawal, the lot whose revoked
      // attestation the credit came from.
      const cause =
        event.type === "MassBalanceWithdrawn" ? "withdrawal"
        : !credit ? "mark"
        : state.lots.get(event.lotId)?.createdTx === event.txHash ? "derivation" : "handover";
      batch.massBalanceMoves.push({
        position,
        memberId: event.member,
        scheme: event.scheme,
        form: event.form,
        lotId: event.lotId,
        direction: credit ? "credit" : "debit",
        cause,
        grams: event.grams,
        balance: event.balance,
        txHash: event.txHash,
        blockTime,
      });
      batch.massBalanceCredits.set(`${event.member}:${event.scheme}:${event.form}`, {
        memberId: event.member,
        scheme: event.scheme,
        form: event.form,
        balance: event.balance,
        updatedPosition: position,
      });
      if (cause !== "derivation") {
        batch.lotClaims.set(`${event.lotId}:${event.scheme}`, {
          lotId: event.lotId,
          scheme: event.scheme,
          state: cause === "mark" ? "marked" : "spent",
          validUntil: null,
          family: null,
          position,
        });
      }
      return;
    }
  }
}

/** Folds `history` into `previous` with the shared twin and checks it against the emitted head. */
function checkHead(lotId: bigint, previous: string, history: LotHistoryEvent, emitted: string | undefined, position: string): string {
  const computed = foldEvent(previous, history);
  if (emitted === undefined || computed !== emitted.toLowerCase()) {
    throw new HistoryHeadMismatchError(lotId, history.kind, position, emitted ?? "(none)", computed);
  }
  return computed;
}

/** Adds the lot event row (the lot's head is already folded) and returns its `seq`. */
function appendLotEvent(batch: RowBatch, lot: LotRow, history: LotHistoryEvent, event: IndexedEvent): number {
  const isGenesis = history.kind === "minted" || history.kind === "derived";
  const seq = isGenesis ? 0 : lot.eventCount;
  lot.eventCount = seq + 1;
  lot.updatedPosition = event.position;
  batch.lots.set(lot.lotId, lot);
  const { kind, lotId: _lotId, ...fields } = history;
  batch.lotEvents.push({
    lotId: lot.lotId,
    seq,
    kind,
    position: event.position,
    blockNumber: event.blockNumber,
    logIndex: event.logIndex,
    txHash: event.txHash,
    blockTime: event.blockTime,
    head: lot.head,
    fields: jsonFields(fields),
  });
  return seq;
}

/** bigints (also in arrays) as decimal strings, so the fields fit JSON. */
function jsonFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = Array.isArray(value) ? value.map((item) => (typeof item === "bigint" ? item.toString() : item)) : typeof value === "bigint" ? value.toString() : value;
  }
  return out;
}

function requireLot(state: ProjectionState, lotId: bigint, position: string): LotRow {
  const lot = state.lots.get(lotId);
  if (!lot) throw new IndexerStateError(`Event on lot ${lotId}, which the read model does not have (position ${position})`);
  return lot;
}

function requireAccount(state: ProjectionState, address: string, position: string): AccountRow {
  const account = state.accounts.get(address);
  if (!account) throw new IndexerStateError(`Event by account ${address}, which the read model does not have (position ${position})`);
  return account;
}

function requireMember(state: ProjectionState, memberId: bigint, position: string): MemberRow {
  const member = state.members.get(memberId);
  if (!member) throw new IndexerStateError(`Event on member ${memberId}, which the read model does not have (position ${position})`);
  return member;
}

function requireForm(state: ProjectionState, form: number, position: string): FormRow {
  const row = state.forms.get(form);
  if (!row) throw new IndexerStateError(`Lot of form ${form}, which the read model does not have (position ${position})`);
  return row;
}
