/**
 * Guest sources (run INSIDE the isolate): the public modules a tenant bundle may import.
 *
 * - `@wayfarer-ai/btree`: node base classes and `NodeStatus`, with btree's semantics (see
 *   btree-contract.md §2).
 * - `@temporalio/workflow`: `proxyActivities` (each method calls a host capability of that name)
 *   and `sleep` (a host timer bounded by the tick's wall time). Nothing else: importing any other
 *   name fails at link time.
 * - `@wayfarer-ai/btree-plugins/sdk`: `defineNode`, `z` (zod 4, bundled into the isolate) and
 *   `NodeStatus`.
 *
 * Sources are `String.raw` literals without interpolation: sent to the isolate verbatim.
 * @module
 */

/** Specifier of the internal runtime module; only runtime modules may import it. */
export const INTERNAL_SPECIFIER = 'wf:internal';
/** Specifier of the bundled zod module; only runtime modules may import it. */
export const ZOD_SPECIFIER = 'wf:zod';

export const BTREE_SPECIFIER = '@wayfarer-ai/btree';
export const TEMPORAL_SPECIFIER = '@temporalio/workflow';
export const SDK_SPECIFIER = '@wayfarer-ai/btree-plugins/sdk';

export const BTREE_SOURCE = String.raw`
export { BaseNode, ActionNode, ConditionNode, NodeStatus, ConfigurationError } from 'wf:internal';
`;

export const TEMPORAL_SOURCE = String.raw`
export { proxyActivities, sleep } from 'wf:internal';
const c = globalThis.console;
/** Temporal's workflow logger, routed to the guest console. */
export const log = Object.freeze({ debug: c.debug, info: c.info, warn: c.warn, error: c.error });
`;
// The ESM modules above are what V8 links a bundle against (so that an unknown import fails
// with V8's own message); at tick time the bundle runs as a factory that gets the same values
// through the internal module's require() (see bundle-factory.ts).

/** The `wf:zod` module: re-exports what the zod factory script produced (see zod-bundle.ts). */
export const ZOD_MODULE_SOURCE = String.raw`
import { __zodExports } from 'wf:internal';
const ns = __zodExports();
export const z = ns.z;
export const __zodGlobals = ns.__zodGlobals;
`;

export const SDK_SOURCE = String.raw`
import { ActionNode, ConditionNode, NodeStatus, ConfigurationError, __setModule } from 'wf:internal';
import { z, __zodGlobals } from 'wf:zod';
export { z, NodeStatus };

// Freeze zod's functions and classes (with their prototypes), so that nothing can be stashed on
// them from one tick to the next. Its global config and registry objects stay mutable (zod fills
// them lazily): a node that calls z.config() changes zod for later ticks of the same tenant only.
void __zodGlobals;
(function hardenZod() {
  const seen = new Set();
  // Namespaces (z, z.core, z.iso, …) are esbuild export objects: their members are getters.
  const namespaces = [z];
  while (namespaces.length) {
    const ns = namespaces.pop();
    if (seen.has(ns)) continue;
    seen.add(ns);
    for (const k of Object.keys(ns)) {
      const v = ns[k];
      if (typeof v === 'function') hardenFunction(v);
      else if (v !== null && typeof v === 'object' && !seen.has(v) && isNamespace(v)) namespaces.push(v);
    }
    Object.freeze(ns);
  }
  function isNamespace(o) {
    const keys = Object.keys(o);
    return keys.length > 0 && keys.every((k) => typeof Object.getOwnPropertyDescriptor(o, k).get === 'function');
  }
  function hardenFunction(f) {
    if (seen.has(f)) return;
    seen.add(f);
    for (const k of Reflect.ownKeys(f)) {
      const d = Reflect.getOwnPropertyDescriptor(f, k);
      if (d && 'value' in d && typeof d.value === 'function') hardenFunction(d.value);
    }
    // Not f.prototype: zod defines members on its prototypes lazily.
    Object.freeze(f);
  }
})();

const freeze = Object.freeze, defineProperty = Object.defineProperty;
const PORT_TYPES = ['input', 'output', 'inout'];

function checkPorts(name, ports) {
  if (ports === undefined) return [];
  if (!Array.isArray(ports)) throw new TypeError('defineNode(' + name + '): ports must be an array of { name, type: "input" | "output" | "inout" }');
  return freeze(ports.map((p, i) => {
    if (p === null || typeof p !== 'object' || typeof p.name !== 'string' || PORT_TYPES.indexOf(p.type) < 0) {
      throw new TypeError('defineNode(' + name + '): ports[' + i + '] must be { name: string, type: "input" | "output" | "inout" }');
    }
    const out = { name: p.name, type: p.type };
    if (typeof p.description === 'string') out.description = p.description;
    if (p.required !== undefined) out.required = !!p.required;
    if (p.defaultValue !== undefined) out.defaultValue = p.defaultValue;
    return freeze(out);
  }));
}

/** Defines a node from a zod props schema and a tick function; returns an ActionNode/ConditionNode subclass. */
export function defineNode(def) {
  if (def === null || typeof def !== 'object') throw new TypeError('defineNode(definition): the definition must be an object');
  const name = def.name;
  if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) throw new TypeError('defineNode(definition): name must start with a letter and hold only letters, digits and _');
  if (typeof def.tick !== 'function') throw new TypeError('defineNode(' + name + '): tick(ctx) must be a function');
  const category = def.category === undefined ? 'action' : def.category;
  if (category !== 'action' && category !== 'condition') throw new TypeError('defineNode(' + name + '): category must be "action" or "condition"');
  const schema = def.props;
  if (schema !== undefined && (schema === null || typeof schema.safeParse !== 'function')) throw new TypeError('defineNode(' + name + '): props must be a zod schema such as z.object({ ... })');
  const description = typeof def.description === 'string' ? def.description : undefined;
  const ports = checkPorts(name, def.ports);
  const tick = def.tick;
  const Base = category === 'condition' ? ConditionNode : ActionNode;
  const C = class extends Base {
    constructor(config) {
      super(config);
      const { id, name: _name, ...rest } = config;
      if (schema) {
        const r = schema.safeParse(rest);
        if (!r.success) {
          throw new ConfigurationError('Invalid configuration for ' + name + ':' + id + ':\n' + r.error.issues.map((i) => '  - ' + (i.path.join('.') || '(root)') + ': ' + i.message).join('\n'));
        }
        this.props = r.data;
      } else {
        this.props = rest;
      }
    }
    async executeTick(context) {
      const node = this;
      // btree's remapping (config[key] || key), parsed props first so that zod defaults count.
      const remap = (key) => { const p = node.props ? node.props[key] : undefined; return (typeof p === 'string' && p) || node.config[key] || key; };
      const ctx = {
        props: this.props,
        blackboard: context.blackboard,
        node: { id: this.id, name: this.name },
        timestamp: context.timestamp,
        getInput(key, defaultValue) { return context.blackboard.getPort(remap(key), defaultValue); },
        setOutput(key, value) { context.blackboard.setPort(remap(key), value); },
        log: globalThis.console,
      };
      return tick(ctx);
    }
  };
  defineProperty(C, 'name', { value: name });
  defineProperty(C, 'definition', {
    get() {
      return { category, description, ports, propsSchema: schema ? z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) : undefined };
    },
  });
  return C;
}

__setModule('@wayfarer-ai/btree-plugins/sdk', { defineNode, z, NodeStatus });
`;
