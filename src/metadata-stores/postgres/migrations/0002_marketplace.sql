-- btree-plugins marketplace documents (PostgresCatalogue, the CatalogueStore of docs/marketplace.md), schema version 2.
-- {{schema}} and {{prefix}} are replaced by the store's options (quoted identifiers).
-- The bytes of catalogue versions (sources, bundle, source map, manifest) stay in the storage adapter.
-- Each `document` is the marketplace's JSON document as written; the other columns are copies of
-- its fields that the keys, the claims and the host's queries need, written in the same statement.

-- One row per publisher. A tenant has at most one (also claimed below).
CREATE TABLE {{schema}}.{{prefix}}marketplace_publishers (
  slug            text        PRIMARY KEY,
  tenant_id       text        NOT NULL,
  document        jsonb       NOT NULL,
  CONSTRAINT {{prefix}}marketplace_publishers_one_per_tenant UNIQUE (tenant_id)
);

-- What a registration claims, in its one transaction with the publisher row: its tenant and each
-- look-alike key of its names (src/marketplace/publisher-names.ts). A second claim of a key waits
-- for the transaction holding it and then finds it taken, so two look-alike registrations cannot
-- both commit, and a refused registration leaves no claim behind.
CREATE TABLE {{schema}}.{{prefix}}marketplace_publisher_claims (
  kind            text        NOT NULL CHECK (kind IN ('tenant', 'name')),
  key             text        NOT NULL,
  slug            text        NOT NULL REFERENCES {{schema}}.{{prefix}}marketplace_publishers (slug) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (kind, key)
);
CREATE INDEX {{prefix}}marketplace_publisher_claims_slug ON {{schema}}.{{prefix}}marketplace_publisher_claims (slug);

-- One row per listing (`<publisher slug>.<NodeName>`): its versions, installers and reviews.
-- Every change locks the row (FOR UPDATE) and writes the document the change returned.
CREATE TABLE {{schema}}.{{prefix}}marketplace_listings (
  id              text        PRIMARY KEY,
  publisher       text        NOT NULL,
  revision        integer     NOT NULL,
  document        jsonb       NOT NULL
);
CREATE INDEX {{prefix}}marketplace_listings_publisher ON {{schema}}.{{prefix}}marketplace_listings (publisher);

-- One row per tenant with installs: its installs by node name, changed like a listing.
CREATE TABLE {{schema}}.{{prefix}}marketplace_installs (
  tenant_id       text        PRIMARY KEY,
  revision        integer     NOT NULL,
  document        jsonb       NOT NULL
);
