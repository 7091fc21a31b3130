// @ts-check
/** The public module `@wayfarer-ai/btree-plugins/sdk` inside the isolate: `defineNode`, `z` (zod 4, bundled into the isolate) and `NodeStatus`. */

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
  /** @type {Record<string, unknown>[]} */
  const namespaces = [z];
  while (namespaces.length) {
    const ns = /** @type {Record<string, unknown>} */ (namespaces.pop());
    if (seen.has(ns)) continue;
    seen.add(ns);
    for (const k of Object.keys(ns)) {
      const v = ns[k];
      if (typeof v === 'function') hardenFunction(v);
      else if (v !== null && typeof v === 'object' && !seen.has(v) && isNamespace(v)) namespaces.push(v);
    }
    Object.freeze(ns);
  }
  /**
   * @param {object} o
   * @returns {o is Record<string, unknown>}
   */
  function isNamespace(o) {
    const keys = Object.keys(o);
    return keys.length > 0 && keys.every((k) => typeof /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(o, k)).get === 'function');
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
