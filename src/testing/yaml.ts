/**
 * `loadTreeFromYaml` and its validation stages (contract §4).
 *
 * @module
 */
import yaml from 'js-yaml';
import { SemanticValidationError, StructureValidationError, ValidationError, YamlSyntaxError } from './errors.js';
import type { Registry } from './registry.js';
import { treeDefinitionSchema, type TreeDefinition } from './schemas.js';
import type { TreeNode } from './types.js';

/** Options of {@link loadTreeFromYaml} (contract §4). `autoGenerateIds` is accepted and ignored, like btree. */
export interface LoadOptions {
  validate?: boolean;
  failFast?: boolean;
  autoGenerateIds?: boolean;
}

/** js-yaml `load`; a non-object or a js-yaml exception becomes a {@link YamlSyntaxError} (contract §4). */
export function parseYaml(yamlString: string): TreeDefinition {
  let parsed: unknown;
  try {
    parsed = yaml.load(yamlString);
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      throw new YamlSyntaxError(error.message, error.mark?.line, error.mark?.column, 'Check YAML syntax (indentation, colons, quotes)');
    }
    throw new YamlSyntaxError(`Failed to parse YAML: ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, 'Ensure your YAML is well-formed');
  }
  if (!parsed || typeof parsed !== 'object') {
    throw new YamlSyntaxError('Invalid YAML: expected an object', undefined, undefined, "Ensure your YAML defines a tree structure with 'type' field");
  }
  return parsed as TreeDefinition;
}

function validateStructure(definition: unknown): TreeDefinition {
  try {
    return treeDefinitionSchema.parse(definition);
  } catch (error) {
    throw new StructureValidationError(
      `Invalid tree structure: ${error instanceof Error ? error.message : String(error)}`,
      undefined,
      "Ensure all nodes have 'type' field and children are arrays",
    );
  }
}

/**
 * The semantic checks of contract §4 that apply to the types the test host has: registered type,
 * unique explicit ids, decorators (by **metadata.category**) with exactly one child. Returns every
 * error found.
 */
export function validateSemantics(definition: TreeDefinition, registry: Registry): SemanticValidationError[] {
  const errors: SemanticValidationError[] = [];
  const seen = new Set<string>();
  const visit = (node: TreeDefinition, parentPath: string): void => {
    const label = node.id || node.type;
    const path = parentPath ? `${parentPath}.${label}` : label;
    if (!registry.has(node.type)) {
      errors.push(new SemanticValidationError(`Unknown node type '${node.type}'`, path, `Available types: ${registry.getRegisteredTypes().join(', ')}`));
      return;
    }
    if (node.id) {
      // only explicit ids are checked (contract §4)
      if (seen.has(node.id)) errors.push(new SemanticValidationError(`Duplicate ID '${node.id}'`, path, 'Use unique IDs for each node in the tree'));
      else seen.add(node.id);
    }
    if (registry.getMetadata(node.type)?.category === 'decorator') {
      // contract §4: decided by metadata.category, not by the class
      const count = node.children?.length || 0;
      if (count !== 1) {
        errors.push(new SemanticValidationError(`Decorator '${node.type}' must have exactly 1 child (has ${count})`, path, 'Decorators wrap a single child node'));
      }
    }
    (node.children ?? []).forEach((child, i) => visit(child, `${path}.children[${i}]`));
  };
  visit(definition, '');
  return errors;
}

/**
 * Builds a tree from YAML, **synchronously** (contract §4): parse → `YamlSyntaxError`; structure →
 * `StructureValidationError`; with `failFast` (default) the first `SemanticValidationError`;
 * then `registry.createTree`, whose per-node config validation throws `ConfigurationError`.
 * Quirks kept: `failFast: false` skips semantic validation entirely; `validate: false` goes straight
 * to `createTree`.
 */
export function loadTreeFromYaml(yamlString: string, registry: Registry, options: LoadOptions = {}): TreeNode {
  const { validate = true, failFast = true } = options;
  const parsed = parseYaml(yamlString);
  if (!validate) return registry.createTree(parsed);
  const definition = validateStructure(parsed);
  if (failFast) {
    // contract §4 quirk: failFast:false skips semantic validation entirely
    const errors = validateSemantics(definition, registry);
    if (errors.length > 0) throw errors[0];
  }
  return registry.createTree(definition);
}

/** Options of {@link validateYaml}. */
export interface ValidationOptions {
  collectAllErrors?: boolean;
  checkReferences?: boolean;
}

/** Result of {@link validateYaml}. */
export interface ValidationResult {
  valid: boolean;
  errors: ValidationError[];
}

/**
 * Validates without throwing (contract §4): parse, structure, semantics (`checkReferences`), then a
 * trial `createTree` whose failure — a `ConfigurationError` included — is reported as a
 * `StructureValidationError` carrying its message.
 */
export function validateYaml(yamlString: string, registry: Registry, options: ValidationOptions = {}): ValidationResult {
  const { collectAllErrors = false, checkReferences = true } = options;
  const errors: ValidationError[] = [];
  try {
    const definition = validateStructure(parseYaml(yamlString));
    if (checkReferences) errors.push(...validateSemantics(definition, registry));
    if (errors.length === 0 || collectAllErrors) {
      const created = registry.safeCreateTree(definition);
      if (!created.success) {
        // contract §4: config failures come back as StructureValidationError
        errors.push(new StructureValidationError(created.error.message, undefined, 'Check node configurations match their schema requirements'));
      }
    }
  } catch (error) {
    errors.push(error instanceof ValidationError ? error : new YamlSyntaxError(error instanceof Error ? error.message : String(error)));
  }
  return { valid: errors.length === 0, errors };
}

/** js-yaml `dump` of a definition. */
export function toYaml(definition: TreeDefinition): string {
  return yaml.dump(definition, { indent: 2, lineWidth: 80, noRefs: true });
}
