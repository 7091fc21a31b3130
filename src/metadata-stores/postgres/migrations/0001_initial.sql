-- btree-plugins registry metadata, schema version 1.
-- {{schema}} and {{prefix}} are replaced by the store's options (quoted identifiers).

-- One row per published version: the seed's columns, plus what the registry needs.
CREATE TABLE {{schema}}.{{prefix}}custom_nodes (
  id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       text        NOT NULL,
  name            text        NOT NULL,
  version         text        NOT NULL,
  description     text,
  -- The entry file's source (every file stays in the object store, next to the bundle).
  source_code     text        NOT NULL,
  -- The bundle's object key with the store's scheme: s3://bucket/key, gs://bucket/key, file:///root/key, memory:///key.
  bundle_url      text        NOT NULL,
  -- The node's props JSON Schema, read from the node at upload (null: it declares none).
  schema          jsonb,
  -- draft | approved | active | deprecated | rejected (derived, kept current by every change).
  status          text        NOT NULL,
  created_by      text,
  created_at      timestamptz NOT NULL,
  sha256          text        NOT NULL,
  -- The immutable manifest (sizes, files, findings, metadata); written once.
  manifest        jsonb       NOT NULL,
  -- false while a publish is in progress (claimed, not yet listed).
  listed          boolean     NOT NULL DEFAULT false,
  review          text        NOT NULL DEFAULT 'draft' CHECK (review IN ('draft', 'approved', 'rejected')),
  reviewed_by     text,
  reviewed_at     timestamptz,
  review_note     text,
  deprecated_reason text,
  deprecated_by   text,
  deprecated_at   timestamptz,
  is_active       boolean     NOT NULL DEFAULT false,
  CONSTRAINT {{prefix}}custom_nodes_version_unique UNIQUE (tenant_id, name, version),
  CONSTRAINT {{prefix}}custom_nodes_status_check CHECK (status IN ('draft', 'approved', 'active', 'deprecated', 'rejected'))
);
-- At most one active version per tenant and name, enforced by the database.
CREATE UNIQUE INDEX {{prefix}}custom_nodes_one_active ON {{schema}}.{{prefix}}custom_nodes (tenant_id, name) WHERE is_active;

-- One row per node: the revision counter every change bumps, the activation stack, the last event.
CREATE TABLE {{schema}}.{{prefix}}custom_node_heads (
  tenant_id       text        NOT NULL,
  name            text        NOT NULL,
  revision        integer     NOT NULL,
  active_version  text,
  history         jsonb       NOT NULL,
  last_event      jsonb,
  PRIMARY KEY (tenant_id, name)
);

-- The audit log: one row per change, written in the change's transaction.
CREATE TABLE {{schema}}.{{prefix}}custom_node_audit (
  tenant_id       text        NOT NULL,
  id              text        NOT NULL,
  node            text        NOT NULL,
  version         text        NOT NULL,
  action          text        NOT NULL,
  actor           text        NOT NULL,
  at              timestamptz NOT NULL,
  from_state      text,
  to_state        text,
  note            text,
  revision        integer     NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX {{prefix}}custom_node_audit_node ON {{schema}}.{{prefix}}custom_node_audit (tenant_id, node, id);

-- The seed's workflow → node dependencies. workflow_id is text, so UUID and other keys both fit.
CREATE TABLE {{schema}}.{{prefix}}workflow_node_dependencies (
  workflow_id     text        NOT NULL,
  custom_node_id  uuid        NOT NULL REFERENCES {{schema}}.{{prefix}}custom_nodes (id),
  recorded_at     timestamptz NOT NULL,
  PRIMARY KEY (workflow_id, custom_node_id)
);
CREATE INDEX {{prefix}}workflow_node_dependencies_node ON {{schema}}.{{prefix}}workflow_node_dependencies (custom_node_id);
