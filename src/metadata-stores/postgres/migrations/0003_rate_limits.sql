-- btree-plugins shared execution limits (PostgresRateLimiter, docs/operations.md "Rate limits and quotas"), schema version 3.
-- {{schema}} and {{prefix}} are replaced by the store's options (quoted identifiers).
-- Each take or count is one INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING: the row is locked
-- while the condition is checked, so concurrent workers never admit more than the limit.

-- One row per rate bucket: GCRA's theoretical arrival time (ms since the epoch, the workers' clock).
CREATE TABLE {{schema}}.{{prefix}}rate_limit_buckets (
  key             text              PRIMARY KEY,
  tat             double precision  NOT NULL
);

-- One row per daily quota: the UTC day (days since the epoch) and the runs counted on it.
CREATE TABLE {{schema}}.{{prefix}}rate_limit_days (
  key             text              PRIMARY KEY,
  day             integer           NOT NULL,
  used            bigint            NOT NULL
);
