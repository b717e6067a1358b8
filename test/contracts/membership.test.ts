import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { LotRegistry__factory } from "../../typechain-types";
import {
  Form,
  MAX_ACCOUNTS,
  Role,
  Roles,
  country,
  delivery,
  digest,
  mintLot,
  networkFixture,
  output,
  type Network,
} from "./fixtures";

/** Addresses that no signer holds, for filling a member up to its account limit. */
function freshAddresses(count: number, label: string): string[] {
  return Array.from({ length: count }, (_, index) =>
    ethers.getAddress(ethers.dataSlice(digest(`${label} ${index}`), 12)),
  );
}

async function isAllowed(network: Network, sender: { address: string } | string): Promise<boolean> {
  const address = typeof sender === "string" ? sender : sender.address;
  return network.membership.transactionAllowed(address, network.registry, 0, 0, 21_000, "0x");
}

describe("Membership", function () {
  describe("when deployed", function () {
    it("makes the first governor member 1, with its one account", async function () {
      const { membership, governor } = await loadFixture(networkFixture);
      const [member, accounts] = await membership.getMember(1);
      expect(member.roles).to.equal(Role.governor);
      expect(member.active).to.equal(true);
      expect(member.country).to.equal(country("ID"));
      expect(member.accountCount).to.equal(1);
      expect(member.metadata).to.equal(digest("member governor"));
      expect(accounts).to.deep.equal([governor.address]);
      expect(await membership.accountOf(governor)).to.deep.equal([1n, true, BigInt(Role.governor)]);
    });

    it("announces the first governor with MemberAdded and AccountAdded", async function () {
      const { membership, governor } = await loadFixture(networkFixture);
      const added = await membership.queryFilter(membership.filters.MemberAdded(1));
      expect(added).to.have.length(1);
      expect(added[0].args.roles).to.equal(Role.governor);
      expect(added[0].args.country).to.equal(country("ID"));
      expect(added[0].args.metadata).to.equal(digest("member governor"));
      const attached = await membership.queryFilter(membership.filters.AccountAdded(1));
      expect(attached.map((event) => event.args.account)).to.deep.equal([governor.address]);
    });

    it("refuses a zero first governor", async function () {
      const { forwarder, governor } = await loadFixture(networkFixture);
      const factory = new LotRegistry__factory(governor);
      await expect(
        factory.deploy(forwarder, ethers.ZeroAddress, country("ID"), digest("m")),
      ).to.be.revertedWithCustomError(factory, "MembershipZeroAccount");
    });

    it("trusts the forwarder it was given and no other", async function () {
      const { membership, forwarder, relayer } = await loadFixture(networkFixture);
      expect(await membership.isTrustedForwarder(forwarder)).to.equal(true);
      expect(await membership.isTrustedForwarder(relayer)).to.equal(false);
    });
  });

  describe("when a governor adds a member", function () {
    it("assigns the next id and attaches every account with the member's roles", async function () {
      const { membership, governor, spare1, spare2 } = await loadFixture(networkFixture);
      const before = await membership.memberCount();
      const roles = Role.processor | Role.brand;
      const memberId = await membership.addMember.staticCall(roles, country("TH"), digest("new"), [spare1, spare2]);
      expect(memberId).to.equal(before + 1n);

      await expect(membership.connect(governor).addMember(roles, country("TH"), digest("new"), [spare1, spare2]))
        .to.emit(membership, "MemberAdded")
        .withArgs(memberId, roles, country("TH"), digest("new"))
        .and.to.emit(membership, "AccountAdded")
        .withArgs(memberId, spare1.address)
        .and.to.emit(membership, "AccountAdded")
        .withArgs(memberId, spare2.address);

      expect(await membership.memberCount()).to.equal(memberId);
      const [member, accounts] = await membership.getMember(memberId);
      expect(member.roles).to.equal(roles);
      expect(member.active).to.equal(true);
      expect(member.country).to.equal(country("TH"));
      expect(member.accountCount).to.equal(2);
      expect(accounts).to.deep.equal([spare1.address, spare2.address]);
      for (const account of [spare1, spare2]) {
        expect(await membership.accountOf(account)).to.deep.equal([memberId, true, BigInt(roles)]);
        expect(await membership.hasRole(account, Role.brand)).to.equal(true);
        expect(await membership.hasRole(account, Role.cooperative)).to.equal(false);
        expect(await membership.authorize(account, Role.processor)).to.equal(memberId);
      }
    });

    it("lets a second governor add members too", async function () {
      const { membership, governor2, spare1 } = await loadFixture(networkFixture);
      await expect(membership.connect(governor2).addMember(Role.brand, country("MY"), digest("b2"), [spare1])).to.emit(
        membership,
        "MemberAdded",
      );
      expect((await membership.accountOf(spare1))[2]).to.equal(Role.brand);
    });

    it("accepts every defined role bit at once, and the letters A and Z", async function () {
      const { membership, spare1 } = await loadFixture(networkFixture);
      await membership.addMember(Roles.all, country("AZ"), digest("all"), [spare1]);
      expect((await membership.accountOf(spare1))[2]).to.equal(Roles.all);
      // The next id is read before the transaction is sent: read alongside it, it raced the mining.
      const next = (await membership.memberCount()) + 1n;
      await expect(membership.addMember(Role.brand, country("ZA"), digest("za"), []))
        .to.emit(membership, "MemberAdded")
        .withArgs(next, Role.brand, country("ZA"), digest("za"));
    });

    for (const roles of [0, 1 << 6, 1 << 7, 0xff]) {
      it(`refuses roles 0x${roles.toString(16)} with MembershipInvalidRoles`, async function () {
        const { membership, spare1 } = await loadFixture(networkFixture);
        await expect(membership.addMember(roles, country("ID"), digest("x"), [spare1]))
          .to.be.revertedWithCustomError(membership, "MembershipInvalidRoles")
          .withArgs(roles);
      });
    }

    for (const code of ["0x6964" /* "id" */, "0x4931" /* "I1" */, "0x0000", "0x4041" /* "@A" */, "0x415b" /* "A[" */]) {
      it(`refuses country ${code} with MembershipInvalidCountry`, async function () {
        const { membership, spare1 } = await loadFixture(networkFixture);
        await expect(membership.addMember(Role.brand, code, digest("x"), [spare1]))
          .to.be.revertedWithCustomError(membership, "MembershipInvalidCountry")
          .withArgs(code);
      });
    }

    it("refuses the zero account", async function () {
      const { membership, spare1 } = await loadFixture(networkFixture);
      await expect(
        membership.addMember(Role.brand, country("ID"), digest("x"), [spare1.address, ethers.ZeroAddress]),
      ).to.be.revertedWithCustomError(membership, "MembershipZeroAccount");
    });

    it("refuses an account that already belongs to another member", async function () {
      const { membership, coopPhone2, members } = await loadFixture(networkFixture);
      await expect(membership.addMember(Role.brand, country("ID"), digest("x"), [coopPhone2]))
        .to.be.revertedWithCustomError(membership, "MembershipAccountTaken")
        .withArgs(coopPhone2.address, members.cooperative);
    });

    it("refuses the same account twice in one call", async function () {
      const { membership, spare1 } = await loadFixture(networkFixture);
      const next = (await membership.memberCount()) + 1n;
      await expect(membership.addMember(Role.brand, country("ID"), digest("x"), [spare1, spare1]))
        .to.be.revertedWithCustomError(membership, "MembershipAccountTaken")
        .withArgs(spare1.address, next);
    });

    it(`takes up to ${MAX_ACCOUNTS} accounts and refuses one more`, async function () {
      const { membership } = await loadFixture(networkFixture);
      const next = (await membership.memberCount()) + 1n;
      const accounts = freshAddresses(MAX_ACCOUNTS + 1, "phone");
      await expect(membership.addMember(Role.cooperative, country("ID"), digest("big"), accounts))
        .to.be.revertedWithCustomError(membership, "MembershipTooManyAccounts")
        .withArgs(next, MAX_ACCOUNTS);

      await membership.addMember(Role.cooperative, country("ID"), digest("big"), accounts.slice(0, MAX_ACCOUNTS));
      expect((await membership.getMember(next))[0].accountCount).to.equal(MAX_ACCOUNTS);
      await expect(membership.addAccount(next, accounts[MAX_ACCOUNTS]))
        .to.be.revertedWithCustomError(membership, "MembershipTooManyAccounts")
        .withArgs(next, MAX_ACCOUNTS);
    });
  });

  describe("when a governor attaches an account", function () {
    it("gives it the member's roles and lists it", async function () {
      const { membership, members, spare1, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await expect(membership.addAccount(members.cooperative, spare1))
        .to.emit(membership, "AccountAdded")
        .withArgs(members.cooperative, spare1.address);
      expect(await membership.accountOf(spare1)).to.deep.equal([members.cooperative, true, BigInt(Role.cooperative)]);
      const [member, accounts] = await membership.getMember(members.cooperative);
      expect(member.accountCount).to.equal(3);
      expect(accounts).to.deep.equal([coopPhone1.address, coopPhone2.address, spare1.address]);
    });

    it("attaches an account of a suspended member as unable to act", async function () {
      const { membership, members, spare1 } = await loadFixture(networkFixture);
      await membership.setMemberActive(members.brand, false);
      await membership.addAccount(members.brand, spare1);
      expect(await membership.accountOf(spare1)).to.deep.equal([members.brand, true, 0n]);
      await membership.setMemberActive(members.brand, true);
      expect(await membership.accountOf(spare1)).to.deep.equal([members.brand, true, BigInt(Role.brand)]);
    });

    it("refuses an unknown member, the zero account and a taken account", async function () {
      const { membership, members, spare1, processor } = await loadFixture(networkFixture);
      await expect(membership.addAccount(99, spare1))
        .to.be.revertedWithCustomError(membership, "MembershipUnknownMember")
        .withArgs(99);
      await expect(membership.addAccount(0, spare1))
        .to.be.revertedWithCustomError(membership, "MembershipUnknownMember")
        .withArgs(0);
      await expect(membership.addAccount(members.brand, ethers.ZeroAddress)).to.be.revertedWithCustomError(
        membership,
        "MembershipZeroAccount",
      );
      await expect(membership.addAccount(members.brand, processor))
        .to.be.revertedWithCustomError(membership, "MembershipAccountTaken")
        .withArgs(processor.address, members.processor);
    });
  });

  describe("when a governor suspends one account", function () {
    it("stops that account while its sibling still acts", async function () {
      const network = await loadFixture(networkFixture);
      const { membership, registry, members, coopPhone1, coopPhone2 } = network;
      await expect(membership.setAccountActive(coopPhone1, false))
        .to.emit(membership, "AccountStatusChanged")
        .withArgs(members.cooperative, coopPhone1.address, false);

      expect(await membership.accountOf(coopPhone1)).to.deep.equal([members.cooperative, false, 0n]);
      expect(await membership.hasRole(coopPhone1, Role.cooperative)).to.equal(false);
      await expect(membership.authorize(coopPhone1, Role.cooperative))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.cooperative);
      expect(await membership.accountOf(coopPhone2)).to.deep.equal([
        members.cooperative,
        true,
        BigInt(Role.cooperative),
      ]);

      await expect(registry.connect(coopPhone1).mint(delivery(Form.wetBeans, 1_000n)))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.cooperative);
      await expect(registry.connect(coopPhone2).mint(delivery(Form.wetBeans, 1_000n))).to.emit(registry, "LotMinted");
    });

    it("lets the sibling act on lots the suspended account holds", async function () {
      const network = await loadFixture(networkFixture);
      const { membership, registry, coopPhone1, coopPhone2, processor } = network;
      const lotId = await mintLot(registry, coopPhone1, Form.wetBeans, 10_000n);
      await membership.setAccountActive(coopPhone1, false);
      await expect(registry.connect(coopPhone1).offer(lotId, processor))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Roles.custodians);
      await expect(registry.connect(coopPhone2).offer(lotId, processor))
        .to.emit(registry, "HandoverOffered")
        .withArgs(lotId, coopPhone1.address, processor.address, anyValue);
      const { lot, pendingReceiver } = await registry.getLot(lotId);
      expect(lot.custodian).to.equal(coopPhone1.address);
      expect(pendingReceiver).to.equal(processor.address);
    });

    it("re-activates the account with the member's current roles", async function () {
      const { membership, members, coopPhone1 } = await loadFixture(networkFixture);
      await membership.setAccountActive(coopPhone1, false);
      await membership.setRoles(members.cooperative, Role.cooperative | Role.processor);
      expect((await membership.accountOf(coopPhone1))[2]).to.equal(0);
      await expect(membership.setAccountActive(coopPhone1, true))
        .to.emit(membership, "AccountStatusChanged")
        .withArgs(members.cooperative, coopPhone1.address, true);
      expect(await membership.accountOf(coopPhone1)).to.deep.equal([
        members.cooperative,
        true,
        BigInt(Role.cooperative | Role.processor),
      ]);
    });

    it("refuses an account that belongs to no member", async function () {
      const { membership, stranger } = await loadFixture(networkFixture);
      await expect(membership.setAccountActive(stranger, false))
        .to.be.revertedWithCustomError(membership, "MembershipUnknownAccount")
        .withArgs(stranger.address);
    });
  });

  describe("when a governor suspends a member", function () {
    it("stops every account of the member and re-activates them together", async function () {
      const { membership, members, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await expect(membership.setMemberActive(members.cooperative, false))
        .to.emit(membership, "MemberStatusChanged")
        .withArgs(members.cooperative, false);
      expect((await membership.getMember(members.cooperative))[0].active).to.equal(false);
      for (const account of [coopPhone1, coopPhone2]) {
        expect(await membership.accountOf(account)).to.deep.equal([members.cooperative, true, 0n]);
      }

      await expect(membership.setMemberActive(members.cooperative, true))
        .to.emit(membership, "MemberStatusChanged")
        .withArgs(members.cooperative, true);
      for (const account of [coopPhone1, coopPhone2]) {
        expect(await membership.accountOf(account)).to.deep.equal([
          members.cooperative,
          true,
          BigInt(Role.cooperative),
        ]);
      }
    });

    it("keeps an individually suspended account suspended when the member comes back", async function () {
      const { membership, members, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await membership.setAccountActive(coopPhone1, false);
      await membership.setMemberActive(members.cooperative, false);
      await membership.setMemberActive(members.cooperative, true);
      expect(await membership.accountOf(coopPhone1)).to.deep.equal([members.cooperative, false, 0n]);
      expect((await membership.accountOf(coopPhone2))[2]).to.equal(Role.cooperative);
    });

    it("does nothing and says nothing when the status does not change", async function () {
      const { membership, members } = await loadFixture(networkFixture);
      await expect(membership.setMemberActive(members.brand, true)).not.to.emit(membership, "MemberStatusChanged");
    });

    it("refuses an unknown member", async function () {
      const { membership } = await loadFixture(networkFixture);
      await expect(membership.setMemberActive(42, false))
        .to.be.revertedWithCustomError(membership, "MembershipUnknownMember")
        .withArgs(42);
    });

    describe("when the suspended member's accounts use the lot registry", function () {
      async function suspendedCooperativeFixture() {
        const network = await networkFixture();
        const { registry, membership, members, coopPhone1, coopPhone2, processor } = network;
        const held = await mintLot(registry, coopPhone1, Form.wetBeans, 100_000n, "held");
        const offered = await mintLot(registry, coopPhone2, Form.wetBeans, 50_000n, "offered");
        await registry.connect(coopPhone2).offer(offered, processor);
        await membership.setMemberActive(members.cooperative, false);
        return { ...network, held, offered };
      }

      it("refuses mint and mintBatch from every account", async function () {
        const { registry, membership, coopPhone1, coopPhone2 } = await loadFixture(suspendedCooperativeFixture);
        for (const phone of [coopPhone1, coopPhone2]) {
          await expect(registry.connect(phone).mint(delivery(Form.wetBeans, 1_000n)))
            .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
            .withArgs(phone.address, Role.cooperative);
          await expect(registry.connect(phone).mintBatch([delivery(Form.wetBeans, 1_000n)]))
            .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
            .withArgs(phone.address, Role.cooperative);
        }
      });

      it("refuses offer, cancel, split, merge, transform and evidence", async function () {
        const { registry, membership, coopPhone1, coopPhone2, brand, held, offered } = await loadFixture(
          suspendedCooperativeFixture,
        );
        for (const phone of [coopPhone1, coopPhone2]) {
          const attempts = [
            () => registry.connect(phone).offer(held, brand),
            () => registry.connect(phone).cancel(offered),
            () => registry.connect(phone).split(held, [output(Form.wetBeans, 50_000n), output(Form.wetBeans, 50_000n)]),
            () => registry.connect(phone).merge([held, offered], digest("merged")),
            () => registry.connect(phone).transform([held], [output(Form.dryBeans, 40_000n)]),
            () => registry.connect(phone).attachEvidence(held, digest("ticket")),
          ];
          for (const attempt of attempts) {
            await expect(attempt())
              .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
              .withArgs(phone.address, Roles.custodians);
          }
        }
      });

      it("refuses accept and reject from a suspended receiver", async function () {
        const { registry, membership, members, processor, offered } = await loadFixture(suspendedCooperativeFixture);
        await membership.setMemberActive(members.cooperative, true);
        await membership.setMemberActive(members.processor, false);
        await expect(registry.connect(processor).accept(offered, 50_000n, 0))
          .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
          .withArgs(processor.address, Roles.custodians);
        await expect(registry.connect(processor).reject(offered, 1))
          .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
          .withArgs(processor.address, Roles.custodians);
      });

      it("lets them act again once re-activated", async function () {
        const { registry, membership, members, coopPhone1, brand, held } = await loadFixture(
          suspendedCooperativeFixture,
        );
        await membership.setMemberActive(members.cooperative, true);
        await expect(registry.connect(coopPhone1).offer(held, brand)).to.emit(registry, "HandoverOffered");
      });
    });
  });

  describe("when a governor changes a member's roles", function () {
    it("replaces the role set on every account and says so", async function () {
      const { membership, members, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      const roles = Role.cooperative | Role.processor;
      await expect(membership.setRoles(members.cooperative, roles))
        .to.emit(membership, "RolesChanged")
        .withArgs(members.cooperative, Role.cooperative, roles);
      expect((await membership.getMember(members.cooperative))[0].roles).to.equal(roles);
      for (const account of [coopPhone1, coopPhone2]) {
        expect((await membership.accountOf(account))[2]).to.equal(roles);
      }
      await membership.setRoles(members.cooperative, Role.brand);
      expect(await membership.hasRole(coopPhone1, Role.cooperative)).to.equal(false);
      expect(await membership.hasRole(coopPhone1, Role.brand)).to.equal(true);
    });

    it("keeps a suspended member's accounts at no roles", async function () {
      const { membership, members, brand } = await loadFixture(networkFixture);
      await membership.setMemberActive(members.brand, false);
      await membership.setRoles(members.brand, Role.brand | Role.processor);
      expect((await membership.accountOf(brand))[2]).to.equal(0);
      await membership.setMemberActive(members.brand, true);
      expect((await membership.accountOf(brand))[2]).to.equal(Role.brand | Role.processor);
    });

    for (const roles of [0, 1 << 6, 0xff]) {
      it(`refuses roles 0x${roles.toString(16)}`, async function () {
        const { membership, members } = await loadFixture(networkFixture);
        await expect(membership.setRoles(members.brand, roles))
          .to.be.revertedWithCustomError(membership, "MembershipInvalidRoles")
          .withArgs(roles);
      });
    }

    it("refuses an unknown member", async function () {
      const { membership } = await loadFixture(networkFixture);
      await expect(membership.setRoles(77, Role.brand))
        .to.be.revertedWithCustomError(membership, "MembershipUnknownMember")
        .withArgs(77);
    });
  });

  describe("when metadata changes", function () {
    it("lets a governor set any member's metadata", async function () {
      const { membership, members } = await loadFixture(networkFixture);
      await expect(membership.setMetadata(members.brand, digest("brand v2")))
        .to.emit(membership, "MetadataChanged")
        .withArgs(members.brand, digest("brand v2"));
      expect((await membership.getMember(members.brand))[0].metadata).to.equal(digest("brand v2"));
    });

    it("lets each active account of the member set its own", async function () {
      const { membership, members, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await expect(membership.connect(coopPhone1).setMetadata(members.cooperative, digest("coop v2")))
        .to.emit(membership, "MetadataChanged")
        .withArgs(members.cooperative, digest("coop v2"));
      await membership.connect(coopPhone2).setMetadata(members.cooperative, digest("coop v3"));
      expect((await membership.getMember(members.cooperative))[0].metadata).to.equal(digest("coop v3"));
    });

    it("refuses another member's account", async function () {
      const { membership, members, processor } = await loadFixture(networkFixture);
      await expect(membership.connect(processor).setMetadata(members.cooperative, digest("x")))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(processor.address, Role.governor);
    });

    it("refuses the member's own suspended account and every account of a suspended member", async function () {
      const { membership, members, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await membership.setAccountActive(coopPhone1, false);
      await expect(membership.connect(coopPhone1).setMetadata(members.cooperative, digest("x")))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.governor);
      await membership.setMemberActive(members.cooperative, false);
      await expect(membership.connect(coopPhone2).setMetadata(members.cooperative, digest("x")))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone2.address, Role.governor);
    });

    it("refuses an unknown member", async function () {
      const { membership } = await loadFixture(networkFixture);
      await expect(membership.setMetadata(9, digest("x")))
        .to.be.revertedWithCustomError(membership, "MembershipUnknownMember")
        .withArgs(9);
    });
  });

  describe("when a non-governor calls a governor function", function () {
    const callers = {
      cooperative: "coopPhone1",
      processor: "processor",
      brand: "brand",
      certifier: "certifier",
      relayer: "relayer",
      stranger: "stranger",
    } as const;
    type Call = (network: Network, caller: HardhatEthersSigner) => Promise<unknown>;
    const functions: Record<string, Call> = {
      addMember: ({ membership, spare1 }, caller) =>
        membership.connect(caller).addMember(Role.brand, country("ID"), digest("x"), [spare1]),
      addAccount: ({ membership, members, spare1 }, caller) =>
        membership.connect(caller).addAccount(members.brand, spare1),
      setAccountActive: ({ membership, brand }, caller) => membership.connect(caller).setAccountActive(brand, false),
      setMemberActive: ({ membership, members }, caller) =>
        membership.connect(caller).setMemberActive(members.brand, false),
      setRoles: ({ membership, members }, caller) => membership.connect(caller).setRoles(members.brand, Role.processor),
      "setMetadata (of another member)": ({ membership, members }, caller) =>
        membership.connect(caller).setMetadata(members.governor2, digest("x")),
    };

    for (const [callerName, account] of Object.entries(callers)) {
      for (const [functionName, call] of Object.entries(functions)) {
        it(`refuses ${functionName} from a ${callerName}`, async function () {
          const network = await loadFixture(networkFixture);
          const caller = network[account];
          await expect(call(network, caller))
            .to.be.revertedWithCustomError(network.membership, "MembershipUnauthorized")
            .withArgs(caller.address, Role.governor);
        });
      }
    }

    it("refuses a suspended governor, who may act again once re-activated", async function () {
      const network = await loadFixture(networkFixture);
      const { membership, members, governor2 } = network;
      await membership.setMemberActive(members.governor2, false);
      for (const call of Object.values(functions)) {
        await expect(call(network, governor2))
          .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
          .withArgs(governor2.address, Role.governor);
      }
      await membership.setMemberActive(members.governor2, true);
      await expect(functions.setRoles(network, governor2)).to.emit(membership, "RolesChanged");
    });
  });

  describe("when a cooperative manages its own accounts", function () {
    it("lets an active account of the cooperative enrol another phone of its own", async function () {
      const { membership, members, coopPhone1, spare1 } = await loadFixture(networkFixture);
      await expect(membership.connect(coopPhone1).addAccount(members.cooperative, spare1))
        .to.emit(membership, "AccountAdded")
        .withArgs(members.cooperative, spare1.address);
      expect(await membership.accountOf(spare1)).to.deep.equal([BigInt(members.cooperative), true, BigInt(Role.cooperative)]);
    });

    it("lets it suspend and re-activate one of its own phones", async function () {
      const { membership, members, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await expect(membership.connect(coopPhone1).setAccountActive(coopPhone2, false))
        .to.emit(membership, "AccountStatusChanged")
        .withArgs(members.cooperative, coopPhone2.address, false);
      expect(await membership.hasRole(coopPhone2, Role.cooperative)).to.equal(false);
      await membership.connect(coopPhone1).setAccountActive(coopPhone2, true);
      expect(await membership.hasRole(coopPhone2, Role.cooperative)).to.equal(true);
    });

    it("refuses a suspended phone of the cooperative, which may not re-activate itself", async function () {
      const { membership, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await membership.connect(coopPhone1).setAccountActive(coopPhone2, false);
      await expect(membership.connect(coopPhone2).setAccountActive(coopPhone2, true))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone2.address, Role.governor);
    });

    it("refuses every account of a suspended cooperative", async function () {
      const { membership, members, coopPhone1, spare1 } = await loadFixture(networkFixture);
      await membership.setMemberActive(members.cooperative, false);
      await expect(membership.connect(coopPhone1).addAccount(members.cooperative, spare1))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.governor);
    });

    it("refuses a cooperative touching another member's accounts", async function () {
      const { membership, members, coopPhone1, processor, spare1 } = await loadFixture(networkFixture);
      await expect(membership.connect(coopPhone1).addAccount(members.processor, spare1))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.governor);
      await expect(membership.connect(coopPhone1).setAccountActive(processor, false))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(coopPhone1.address, Role.governor);
    });

    it("refuses a member without the cooperative role managing its own accounts", async function () {
      const { membership, members, processor, spare1 } = await loadFixture(networkFixture);
      await expect(membership.connect(processor).addAccount(members.processor, spare1))
        .to.be.revertedWithCustomError(membership, "MembershipUnauthorized")
        .withArgs(processor.address, Role.governor);
    });

    it("keeps a governor's accounts to governance even when it also holds the cooperative role", async function () {
      const { membership, members, governor, governor2, stranger, spare1 } = await loadFixture(networkFixture);
      await membership.setRoles(members.governor2, Role.governor | Role.cooperative);
      // Once a governance contract is set (here a plain account stands in for it), only it attaches a governor's accounts.
      await membership.connect(governor).setGovernance(stranger);
      await expect(membership.connect(governor2).addAccount(members.governor2, spare1))
        .to.be.revertedWithCustomError(membership, "MembershipNotGovernance")
        .withArgs(governor2.address, stranger.address);
    });

    it("leaves governors full control: a governor re-activates a phone the cooperative suspended", async function () {
      const { membership, coopPhone1, coopPhone2 } = await loadFixture(networkFixture);
      await membership.connect(coopPhone1).setAccountActive(coopPhone2, false);
      await expect(membership.setAccountActive(coopPhone2, true)).to.emit(membership, "AccountStatusChanged");
      expect(await membership.hasRole(coopPhone2, Role.cooperative)).to.equal(true);
    });
  });

  describe("when the change would leave no active governor", function () {
    async function soleGovernorFixture() {
      const network = await networkFixture();
      await network.membership.setMemberActive(network.members.governor2, false);
      return network;
    }

    it("refuses to suspend the last active governor", async function () {
      const { membership } = await loadFixture(soleGovernorFixture);
      await expect(membership.setMemberActive(1, false))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(1);
    });

    it("refuses to take the governor role from the last active governor", async function () {
      const { membership } = await loadFixture(soleGovernorFixture);
      await expect(membership.setRoles(1, Role.brand))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(1);
      await expect(membership.setRoles(1, Role.governor | Role.brand)).to.emit(membership, "RolesChanged");
    });

    it("allows it while another governor is active, then protects that one", async function () {
      const { membership, members, governor2 } = await loadFixture(networkFixture);
      await membership.setMemberActive(1, false);
      await expect(membership.connect(governor2).setMemberActive(members.governor2, false))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(members.governor2);
      await membership.connect(governor2).setMemberActive(1, true);
      await expect(membership.setMemberActive(members.governor2, false))
        .to.emit(membership, "MemberStatusChanged")
        .withArgs(members.governor2, false);
    });

    it("does not count a suspended member given the governor role", async function () {
      const { membership, members } = await loadFixture(soleGovernorFixture);
      await membership.setMemberActive(members.brand, false);
      await membership.setRoles(members.brand, Role.governor);
      await expect(membership.setMemberActive(1, false))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(1);
      await membership.setMemberActive(members.brand, true);
      await expect(membership.setMemberActive(1, false)).to.emit(membership, "MemberStatusChanged").withArgs(1, false);
    });

    it("refuses to suspend the last governor's last active account, but not one of two", async function () {
      const { membership, governor, spare1 } = await loadFixture(soleGovernorFixture);
      await expect(membership.setAccountActive(governor.address, false))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(1);
      await membership.addAccount(1, spare1.address);
      await expect(membership.setAccountActive(governor.address, false))
        .to.emit(membership, "AccountStatusChanged")
        .withArgs(1, governor.address, false);
      await expect(membership.connect(spare1).setAccountActive(spare1.address, false))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(1);
    });

    it("does not count a governor member whose accounts are all suspended", async function () {
      const { membership, members, governor2 } = await loadFixture(networkFixture);
      await membership.setAccountActive(governor2.address, false);
      await expect(membership.setMemberActive(1, false))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(1);
      await membership.setAccountActive(governor2.address, true);
      await expect(membership.setMemberActive(1, false)).to.emit(membership, "MemberStatusChanged").withArgs(1, false);
      expect(await membership.hasRole(governor2.address, Role.governor)).to.equal(true);
      expect(members.governor2).to.be.greaterThan(1n);
    });

    it("counts a member made governor by a role change", async function () {
      const { membership, members, brand } = await loadFixture(soleGovernorFixture);
      await membership.setRoles(members.brand, Role.brand | Role.governor);
      await membership.setRoles(1, Role.brand);
      await expect(membership.connect(brand).setRoles(members.brand, Role.brand))
        .to.be.revertedWithCustomError(membership, "MembershipLastGovernor")
        .withArgs(members.brand);
    });
  });

  describe("when Besu asks transactionAllowed", function () {
    it("allows every active account of every active member, relayers included", async function () {
      const network = await loadFixture(networkFixture);
      for (const account of [
        network.governor,
        network.governor2,
        network.coopPhone1,
        network.coopPhone2,
        network.processor,
        network.brand,
        network.certifier,
        network.relayer,
      ]) {
        expect(await isAllowed(network, account), account.address).to.equal(true);
      }
    });

    it("ignores value, gas and payload of a call", async function () {
      const { membership, relayer, stranger, forwarder } = await loadFixture(networkFixture);
      expect(await membership.transactionAllowed(relayer, forwarder, 10n ** 18n, 1n, 8_000_000n, "0xdeadbeef")).to.equal(
        true,
      );
      expect(await membership.transactionAllowed(stranger, forwarder, 0, 0, 0, "0x")).to.equal(false);
    });

    it("allows creating a contract (target zero) only to governors", async function () {
      const network = await loadFixture(networkFixture);
      const { membership, governor, governor2, relayer, coopPhone1, processor, stranger } = network;
      for (const account of [governor, governor2]) {
        expect(await membership.transactionAllowed(account, ethers.ZeroAddress, 0, 0, 8_000_000n, "0x6080"), account.address)
          .to.equal(true);
      }
      for (const account of [relayer, coopPhone1, processor, stranger]) {
        expect(await membership.transactionAllowed(account, ethers.ZeroAddress, 0, 0, 8_000_000n, "0x6080"), account.address)
          .to.equal(false);
      }
    });

    it("refuses strangers and the zero address", async function () {
      const network = await loadFixture(networkFixture);
      expect(await isAllowed(network, network.stranger)).to.equal(false);
      expect(await isAllowed(network, ethers.ZeroAddress)).to.equal(false);
    });

    it("refuses a suspended member's accounts until it is re-activated", async function () {
      const network = await loadFixture(networkFixture);
      await network.membership.setMemberActive(network.members.relayer, false);
      expect(await isAllowed(network, network.relayer)).to.equal(false);
      await network.membership.setMemberActive(network.members.relayer, true);
      expect(await isAllowed(network, network.relayer)).to.equal(true);
    });

    it("refuses a suspended account while its sibling is allowed", async function () {
      const network = await loadFixture(networkFixture);
      await network.membership.setAccountActive(network.coopPhone2, false);
      expect(await isAllowed(network, network.coopPhone2)).to.equal(false);
      expect(await isAllowed(network, network.coopPhone1)).to.equal(true);
    });
  });
});
