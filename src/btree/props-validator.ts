/**
 * Validates a tenant node's props against the JSON Schema stored in its manifest, with ajv.
 *
 * Not btree's global `schemaRegistry`: that one is shared by every tenant in the process and keyed
 * by type name (btree-contract §3), so two tenants' `SendSlackMessage` would clash.
 *
 * @module
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { LRUCache } from 'lru-cache';
import { extractNodeProps, type ExtractNodePropsOptions, type NodeProps, type PropsProblem } from '../binding-core/node-props.js';

export type { PropsProblem };

/** Options of {@link PropsValidatorCache}. */
export interface PropsValidatorCacheOptions {
  /** How many compiled validators to keep (default 1000). */
  max?: number;
}

type Compiled = { ok: true; validate: ValidateFunction; schema: object } | { ok: false; message: string };

/**
 * Tenant schemas come from tenant code (the sandbox reads them at publish time), so their regular
 * expressions are tenant-controlled; run in the host process, one catastrophic-backtracking pattern
 * would stall every tenant's trees. `pattern` and `patternProperties` are therefore not evaluated
 * here: they always match. The node's own zod schema still checks them inside the sandbox, under its
 * CPU limit, on the first tick (docs/host-integration.md).
 */
const noRegExp = Object.assign((_pattern: string, _flags: string) => ({ test: (_s: string) => true }), { code: 'noRegExp' });

/** Largest props schema compiled, in characters of JSON text. */
export const MAX_PROPS_SCHEMA_CHARS = 64 * 1024;

/**
 * Compiles each version's props schema once and keeps the validator (LRU). Keys must identify an
 * immutable schema: the binding uses `tenant/name@version#sha256`.
 */
export class PropsValidatorCache {
  readonly #ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, code: { regExp: noRegExp } });
  readonly #cache: LRUCache<string, Compiled>;

  constructor(options: PropsValidatorCacheOptions = {}) {
    this.#cache = new LRUCache<string, Compiled>({
      max: options.max ?? 1000,
      // ajv keeps its own reference to every compiled schema: drop it with ours.
      dispose: (entry) => {
        if (entry.ok) this.#ajv.removeSchema(entry.schema);
      },
    });
  }

  /** Number of compiled validators held. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * Problems of `props` against `schema` (empty when valid). A schema that cannot be compiled is
   * reported as one problem at `(schema)`.
   */
  check(key: string, schema: Record<string, unknown>, props: Record<string, unknown>): PropsProblem[] {
    let compiled = this.#cache.get(key);
    if (!compiled) {
      compiled = this.#compile(schema);
      this.#cache.set(key, compiled);
    }
    if (!compiled.ok) return [{ path: '(schema)', message: compiled.message }];
    if (compiled.validate(props)) return [];
    return (compiled.validate.errors ?? []).map(describe);
  }

  /**
   * A node's props as the host checks them wherever it builds or runs a node (the tree binding, the
   * author's harness, the upload API's playground): taken out of `config` (`extractNodeProps`: JSON
   * copies, reserved keys, size), then checked against `options.propsSchema` when there is one.
   * `key` names the immutable schema, as for {@link check}.
   */
  nodeProps(key: string, config: Readonly<Record<string, unknown>>, options: ExtractNodePropsOptions): NodeProps {
    const extracted = extractNodeProps(config, options);
    if (!extracted.ok || !options.propsSchema) return extracted;
    const problems = this.check(key, options.propsSchema, extracted.props);
    return problems.length === 0 ? extracted : { ok: false, problems };
  }

  /** Forgets every compiled validator. */
  clear(): void {
    this.#cache.clear();
  }

  #compile(schema: Record<string, unknown>): Compiled {
    // ajv resolves `$id`s globally per instance; a tenant schema must not claim one another tenant could reuse.
    const { $id: _drop, ...own } = schema;
    try {
      const size = JSON.stringify(own).length;
      if (size > MAX_PROPS_SCHEMA_CHARS) return { ok: false, message: `the stored props schema is ${size} characters, over the ${MAX_PROPS_SCHEMA_CHARS}-character limit` };
      return { ok: true, validate: this.#ajv.compile(own), schema: own };
    } catch (e) {
      return { ok: false, message: `the stored props schema cannot be compiled: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
}

function describe(error: ErrorObject): PropsProblem {
  const segments = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    return { path: [...segments, params.missingProperty].join('.'), message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { path: [...segments, params.additionalProperty].join('.'), message: 'is not a known prop' };
  }
  const allowed = error.keyword === 'enum' && Array.isArray(params.allowedValues) ? `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { path: segments.join('.') || '(props)', message: `${error.message ?? 'is invalid'}${allowed}` };
}
