/**
 * `Registry`: node types, their metadata, and a tree store (contract §3).
 *
 * @module
 */
import type { BehaviorTree } from './behavior-tree.js';
import { hostLog } from './log.js';
import { schemaRegistry, treeDefinitionSchema, validateConfiguration, type TreeDefinition } from './schemas.js';
import type { NodeConfiguration, NodeConstructor, NodeMetadata, TreeNode } from './types.js';

/**
 * Maps YAML `type` strings to node classes.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * registerStandardNodes(registry);
 * registry.register('Greet', Greet, { category: 'action' });
 * const root = registry.createTree({ type: 'Greet', id: 'g', props: { greeting: 'Hi' } });
 * ```
 */
export class Registry {
  readonly #types = new Map<string, NodeConstructor>();
  readonly #metadata = new Map<string, NodeMetadata>();
  readonly #trees = new Map<string, { tree: BehaviorTree; sourceFile: string }>();

  constructor() {
    this.#log('Registry created'); // contract §3: logs on creation
  }

  /**
   * Registers a type. A duplicate throws `Node type 'X' is already registered` (contract §3); the
   * constructor is not checked. Category defaults to `action`, ports to `[]`.
   */
  register<T extends TreeNode>(type: string, ctor: NodeConstructor<T>, metadata?: Partial<NodeMetadata>): void {
    if (this.#types.has(type)) throw new Error(`Node type '${type}' is already registered`); // contract §3
    this.#types.set(type, ctor);
    const full: NodeMetadata = {
      type,
      category: metadata?.category || 'action',
      description: metadata?.description,
      ports: metadata?.ports || [],
    };
    this.#metadata.set(type, full);
    this.#log(`Registered node type: ${type} (${full.category})`);
  }

  /**
   * Creates a node: unknown type → plain `Error("Unknown node type: 'X'. Available types: …")`; the
   * config is parsed by the type's schema from the global `schemaRegistry` (base passthrough schema
   * when it has none), and the constructor receives the zod *output* (contract §3).
   */
  create(type: string, config: NodeConfiguration): TreeNode {
    const Ctor = this.#types.get(type);
    if (!Ctor) throw new Error(`Unknown node type: '${type}'. Available types: ${this.getRegisteredTypes().join(', ')}`);
    const parsed = validateConfiguration(schemaRegistry.getSchema(type), config, type, config.id) as NodeConfiguration;
    this.#log(`Creating node of type: ${type} with id: ${parsed.id}`);
    return new Ctor(parsed);
  }

  has(type: string): boolean {
    return this.#types.has(type);
  }

  getMetadata(type: string): NodeMetadata | undefined {
    return this.#metadata.get(type);
  }

  getRegisteredTypes(): string[] {
    return [...this.#types.keys()];
  }

  getTypesByCategory(category: NodeMetadata['category']): string[] {
    return [...this.#metadata.values()].filter((m) => m.category === category).map((m) => m.type);
  }

  /** Wipes node types, metadata and trees. There is no per-type unregister (contract §3). */
  clear(): void {
    this.#types.clear();
    this.#metadata.clear();
    this.#trees.clear();
    this.#log('Registry cleared (nodes and trees)');
  }

  /** Throws on a duplicate id (contract §3). */
  registerTree(id: string, tree: BehaviorTree, sourceFile: string): void {
    if (this.#trees.has(id)) throw new Error(`Behavior tree '${id}' is already registered`);
    this.#trees.set(id, { tree, sourceFile });
    this.#log(`Registered behavior tree: ${id}`);
  }

  unregisterTree(id: string): boolean {
    return this.#trees.delete(id);
  }

  replaceTree(id: string, tree: BehaviorTree, sourceFile: string): void {
    this.#trees.set(id, { tree, sourceFile });
  }

  getTree(id: string): BehaviorTree | undefined {
    return this.#trees.get(id)?.tree;
  }

  getTreeSourceFile(id: string): string | undefined {
    return this.#trees.get(id)?.sourceFile;
  }

  getTreesForFile(filePath: string): Map<string, BehaviorTree> {
    const out = new Map<string, BehaviorTree>();
    for (const [id, entry] of this.#trees) if (entry.sourceFile === filePath) out.set(id, entry.tree);
    return out;
  }

  hasTree(id: string): boolean {
    return this.#trees.has(id);
  }

  /** A deep clone of a registered tree; throws when unknown (contract §3). */
  cloneTree(id: string): BehaviorTree {
    const entry = this.#trees.get(id);
    if (!entry) throw new Error(`Behavior tree '${id}' not found. Available trees: ${this.getAllTreeIds().join(', ') || 'none'}`);
    return entry.tree.clone();
  }

  getAllTreeIds(): string[] {
    return [...this.#trees.keys()];
  }

  clearTrees(): void {
    this.#trees.clear();
  }

  /**
   * Builds a tree from a definition (contract §3): the structure is parsed first (a raw `ZodError`
   * here); the config is `{id: def.id || \`${type}_${Date.now()}\`, name: def.name || def.id, ...props}`,
   * so `props.id`/`props.name` win; children are attached by duck typing — `setChild` needs exactly one
   * child, `addChildren` takes them all, anything else silently drops them.
   */
  createTree(definition: unknown): TreeNode {
    const def = treeDefinitionSchema.parse(definition); // raw ZodError on bad structure (contract §3)
    const config: NodeConfiguration = {
      id: def.id || `${def.type}_${Date.now()}`, // contract §9: id-less nodes in one ms collide
      name: def.name || def.id,
      ...def.props, // contract §3: props flatten, props.id / props.name override
    };
    const node = this.create(def.type, config);
    if (def.children && Array.isArray(def.children)) {
      const duck = node as unknown as { setChild?: unknown; addChildren?: unknown };
      if (typeof duck.setChild === 'function') {
        // contract §3: duck typing, not category
        if (def.children.length !== 1) throw new Error(`Decorator ${def.type} must have exactly one child`);
        (duck.setChild as (c: TreeNode) => void).call(node, this.createTree(def.children[0]));
      } else if (typeof duck.addChildren === 'function') {
        (duck.addChildren as (c: TreeNode[]) => void).call(node, def.children.map((c: TreeDefinition) => this.createTree(c)));
      } // else: children silently dropped (contract §3 quirk)
    }
    return node;
  }

  /** {@link createTree} returning `{success, tree}` or `{success: false, error}`. */
  safeCreateTree(definition: unknown): { success: true; tree: TreeNode } | { success: false; error: Error } {
    try {
      return { success: true, tree: this.createTree(definition) };
    } catch (error) {
      return { success: false, error: error instanceof Error ? error : new Error(String(error)) };
    }
  }

  #log(message: string): void {
    hostLog(`[Registry] ${message}`); // contract §9: one line per register/create
  }
}
