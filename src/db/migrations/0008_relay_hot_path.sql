-- The relay records a pass's signed calls and the transactions carrying them in one statement:
-- no transaction stays open across round trips to the gateway (on the embedded engine every
-- other statement, including the intake of new requests, waits while one is open). The check
-- that the worker still holds every request it records must then abort that statement itself.

-- Raises SQLSTATE RL001 (class RL is free for applications: the standard keeps 0-4 and A-H; detail:
-- the missing ids, comma-separated) unless `updated` holds every id of `expected`; else returns
-- how many were updated.
create or replace function relay_expect_held(worker text, expected bigint[], updated bigint[], what text)
returns integer language plpgsql as $$
declare
  missing bigint[];
begin
  if cardinality(updated) = (select count(distinct e) from unnest(expected) e) then
    return cardinality(updated);
  end if;
  select coalesce(array_agg(distinct e order by e), '{}') into missing
    from unnest(expected) e where not (e = any (updated));
  raise exception using
    errcode = 'RL001',
    message = format('Worker %s does not hold requests %s %s', worker, array_to_string(missing, ', '), what),
    detail = array_to_string(missing, ',');
end $$;

-- Due requests in two indexes instead of one: the free ones, and the held ones by the age of their
-- lock. Requests the gateway takes in are held by its worker from the start, so under load the
-- outbox holds thousands of held, due rows, and a claim walking one index of all due rows read
-- them all to find the few free or stale ones.
drop index outbox_due;
create index outbox_due_free on outbox (run_at, id) where status in ('queued', 'signed') and locked_by is null;
create index outbox_due_held on outbox (locked_at, id) where status in ('queued', 'signed') and locked_by is not null;

-- Forwarder nonces are read from the chain and from the live calls in relay_calls; this record of
-- them was written and never read.
drop table relay_nonces;
