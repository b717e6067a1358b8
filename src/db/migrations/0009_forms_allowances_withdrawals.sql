-- firstmile:read-model
-- Forms have a loss and a gain allowance and say whether they may be minted at origin; a
-- mass-balance move may be a withdrawal (a revoked attestation's credit taken back).
alter table forms rename column tolerance_bps to loss_bps;
alter table forms add column gain_bps integer not null default 0;
alter table forms add column mintable boolean not null default false;

alter table mass_balance_moves drop constraint mass_balance_moves_cause_check;
alter table mass_balance_moves add constraint mass_balance_moves_cause_check
  check (cause in ('handover', 'derivation', 'mark', 'withdrawal'));
