/**
 * The props-schema registry (zod 4), shaped like btree's `src/schemas` (contract §3).
 *
 * @module
 */
import { z } from 'zod';
import { ConfigurationError } from './errors.js';

/**
 * The base schema of every node without its own: `id` a non-empty string, `name` optional, all other
 * keys passed through untouched (contract §3).
 */
export const nodeConfigurationSchema = z
  .object({ id: z.string().min(1, 'Node ID cannot be empty'), name: z.string().optional() })
  .passthrough();

/**
 * Extends the base schema with a node's own props; `id`, `name` and extra keys are kept (contract §3).
 *
 * @example
 * ```ts
 * schemaRegistry.register('Greet', createNodeSchema('Greet', { greeting: z.string() }));
 * ```
 */
export function createNodeSchema<T extends z.ZodRawShape>(nodeType: string, fields: T) {
  return nodeConfigurationSchema.extend(fields).describe(`${nodeType} configuration`);
}

/** A tree definition node (contract §4). Unknown top-level keys are stripped. */
export interface TreeDefinition {
  type: string;
  id?: string | undefined;
  name?: string | undefined;
  props?: Record<string, unknown> | undefined;
  children?: TreeDefinition[] | undefined;
}

/** Structure of a tree definition (contract §4). */
export const treeDefinitionSchema: z.ZodType<TreeDefinition> = z.object({
  type: z.string().min(1, 'Node type is required'),
  id: z.string().optional(),
  name: z.string().optional(),
  props: z.record(z.string(), z.unknown()).optional(),
  children: z.array(z.lazy(() => treeDefinitionSchema)).optional(),
});

/**
 * Turns a zod failure into `ConfigurationError("Invalid configuration for Type:id:\n  - path: msg", hint)`
 * (contract §3).
 */
export function zodErrorToConfigurationError(error: z.ZodError, nodeType: string, nodeId?: string): ConfigurationError {
  const who = nodeId ? `${nodeType}:${nodeId}` : nodeType;
  const issues = error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return `  - ${path ? `${path}: ` : ''}${issue.message}`;
    })
    .join('\n');
  return new ConfigurationError(
    `Invalid configuration for ${who}:\n${issues}`,
    'Check the node configuration and ensure all required fields are provided with valid values.',
  );
}

/**
 * `schema.parse(config)`; a `ZodError` becomes a `ConfigurationError`. Returns the zod *output*:
 * defaults and transforms applied, unknown keys stripped unless passed through (contract §3).
 */
export function validateConfiguration<T = unknown>(schema: z.ZodType<T>, config: unknown, nodeType: string, nodeId?: string): T {
  try {
    return schema.parse(config);
  } catch (error) {
    // zod 4 recognises other zod-4 copies by trait; a zod 3 error leaks raw (contract §3).
    if (error instanceof z.ZodError) throw zodErrorToConfigurationError(error, nodeType, nodeId);
    throw error;
  }
}

/**
 * Props schemas keyed by node type. One module-level instance ({@link schemaRegistry}) is shared by
 * every `Registry` in the process (contract §3): do not use it for per-tenant schemas.
 */
export class SchemaRegistry {
  readonly #schemas = new Map<string, z.ZodType>();

  constructor() {
    // The built-in schemas of the types the test host implements (contract §3, §7).
    this.register('Sequence', nodeConfigurationSchema);
    this.register('Selector', nodeConfigurationSchema);
    this.register(
      'Parallel',
      createNodeSchema('Parallel', {
        strategy: z.enum(['strict', 'any']).optional().default('strict'),
        successThreshold: z.number().int().positive('successThreshold must be a positive integer').optional(),
        failureThreshold: z.number().int().positive('failureThreshold must be a positive integer').optional(),
      }),
    );
    this.register('Invert', nodeConfigurationSchema);
    this.register('ForceSuccess', nodeConfigurationSchema);
    this.register('ForceFailure', nodeConfigurationSchema);
  }

  /** Throws `Schema for node type 'X' already registered` on a duplicate (contract §3). */
  register(nodeType: string, schema: z.ZodType): void {
    if (this.#schemas.has(nodeType)) throw new Error(`Schema for node type '${nodeType}' already registered`);
    this.#schemas.set(nodeType, schema);
  }

  /** The type's schema, or the passthrough base schema (contract §3). */
  getSchema(nodeType: string): z.ZodType {
    return this.#schemas.get(nodeType) ?? nodeConfigurationSchema;
  }

  hasSchema(nodeType: string): boolean {
    return this.#schemas.has(nodeType);
  }

  getRegisteredTypes(): string[] {
    return [...this.#schemas.keys()];
  }

  validate<T>(nodeType: string, config: unknown): T {
    return this.getSchema(nodeType).parse(config) as T;
  }

  safeParse(nodeType: string, config: unknown): ReturnType<z.ZodType['safeParse']> {
    return this.getSchema(nodeType).safeParse(config);
  }

  /** Wipes every schema, the built-ins included (contract §3). */
  clear(): void {
    this.#schemas.clear();
  }
}

/** The process-wide schema registry (contract §3). */
export const schemaRegistry = new SchemaRegistry();
