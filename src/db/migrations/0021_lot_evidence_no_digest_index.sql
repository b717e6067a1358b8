-- firstmile:read-model
-- No query looks evidence up by its digest (a lot's evidence is read by lot), and keeping the
-- index cost 4 µs of the 9 µs of every row written to lot_evidence (each digest lands at a random
-- place in it). A lookup by digest would add the index back with the query that needs it.
drop index if exists lot_evidence_digest;
