/**
 * Whether a tenant module can be evaluated once per isolate instead of once per tick.
 *
 * Nodes are stateless across ticks (docs/security.md §9): nothing a tick leaves in its module may be
 * seen by another tick. The sandbox keeps that promise by evaluating the module afresh every tick,
 * which costs tens of µs for even a tiny class (and leaves V8 a new hidden class every tick). A
 * module whose top level creates nothing that can hold state is observably the same module every
 * time it is evaluated, so it is evaluated once per isolate and then frozen — its classes, their
 * prototypes and methods, its functions and its exports (guest `instantiate`).
 *
 * This module decides which, on the factory's CommonJS text (bundle-factory.ts), conservatively:
 * reusable only when every top-level statement is one of
 * - an import (`var x = require("…")`, possibly through esbuild's `__toESM`);
 * - a function or arrow function, or a class whose static members are methods, literal data
 *   (primitives, and arrays and plain objects of them) or esbuild's `__name(this, "…")` block and
 *   whose `extends` is a plain name;
 * - `proxyActivities({ … })` of the runtime's `@temporalio/workflow` with literal options;
 * - a constant of a primitive literal (`var LIMIT = 5`) that nothing assigns;
 * - esbuild's own plumbing: its helpers, `__export(x_exports, { … })`, `module.exports = x`,
 *   `__name(f, "f")`;
 * and nothing anywhere in the module writes to a member of a top-level binding, of
 * `this.constructor` or of a `prototype`, or hands a top-level binding to `Object.assign`,
 * `Object.defineProperty` and the like (the usual ways code memoises on its class), and no instance
 * assigns over one of its class's methods or through a computed member of `this` (the prototype is
 * frozen, and such an assignment would throw where it used to work). Anything else —
 * a top-level `let`, an object, array, `Map` or call result at the top level, a top-level statement
 * that does something (it would run every tick) — keeps the module evaluated every tick. Writes that
 * slip past this reading (through an alias) hit the freeze and fail the tick with a TypeError; they
 * never carry state to another tick.
 * @module
 */
import { parse } from 'acorn';

/** The verdict on one module. */
export type ModuleReuse = { reusable: true; locals: string[] } | { reusable: false; reason: string };

/** Names whose members only the module itself would write (Object.assign(X, …), Reflect.set(X, …), …). */
const WRITERS = new Set([
  'Object.assign',
  'Object.defineProperty',
  'Object.defineProperties',
  'Object.setPrototypeOf',
  'Reflect.set',
  'Reflect.defineProperty',
  'Reflect.deleteProperty',
  'Reflect.setPrototypeOf',
]);

// A loose AST node: acorn's types are ESTree's, and this reading only needs a few fields.
interface Node {
  type: string;
  [key: string]: unknown;
}

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';

/**
 * Fields the runtime's node base classes assign on every instance (guest/core.js `BaseNode`): a
 * class that defines a method or accessor of one of these names would make that assignment throw
 * once its prototype is frozen.
 */
const RUNTIME_FIELDS = new Set(['id', 'name', 'type', 'config', '_status', '_lastError']);

class NotReusable extends Error {}

function refuse(reason: string): never {
  throw new NotReusable(reason);
}

/** A primitive literal: string, number, boolean, null, `-1`, a template with no expression. */
function isPrimitive(n: unknown): boolean {
  if (!isNode(n)) return false;
  if (n.type === 'Literal') return n.regex === undefined || n.regex === null;
  if (n.type === 'TemplateLiteral') return (n.expressions as unknown[]).length === 0;
  if (n.type === 'UnaryExpression') return ['-', '+', '!'].includes(n.operator as string) && isPrimitive(n.argument);
  return false;
}

/** `a.b.c` made of names only. */
function isNamePath(n: unknown): boolean {
  if (!isNode(n)) return false;
  if (n.type === 'Identifier') return true;
  return n.type === 'MemberExpression' && !n.computed && isNamePath(n.object) && isNode(n.property) && n.property.type === 'Identifier';
}

/** `callee("…")` with one string argument. */
function isCallOf(n: unknown, callee: string): n is Node {
  return isNode(n) && n.type === 'CallExpression' && isNode(n.callee) && n.callee.type === 'Identifier' && n.callee.name === callee;
}

/** The specifier of `require("…")` (possibly through esbuild's `__toESM`), or undefined. */
function requiredSpecifier(n: unknown): string | undefined {
  if (isCallOf(n, 'require')) {
    const args = n.arguments as Node[];
    return args.length === 1 && args[0]!.type === 'Literal' && typeof args[0]!.value === 'string' ? args[0]!.value : undefined;
  }
  return isCallOf(n, '__toESM') ? requiredSpecifier((n.arguments as unknown[])[0]) : undefined;
}

/** Data written out in full: literals, names, and arrays and plain objects of them (nothing runs). */
function isInert(n: unknown): boolean {
  if (!isNode(n)) return false;
  switch (n.type) {
    case 'Literal':
    case 'TemplateLiteral':
    case 'UnaryExpression':
      return isPrimitive(n);
    case 'Identifier':
      return true;
    case 'ArrayExpression':
      return (n.elements as unknown[]).every(isInert);
    case 'ObjectExpression':
      return (n.properties as Node[]).every((p) => p.type === 'Property' && !p.computed && p.kind === 'init' && !p.method && isInert(p.value));
    default:
      return false;
  }
}

/**
 * `proxyActivities({ … })` from the runtime's `@temporalio/workflow` with inert options: the runtime
 * returns a frozen proxy that refuses every write, so one per isolate is the same as one per tick.
 */
function isActivityProxy(n: unknown, requires: Map<string, string>): boolean {
  if (!isNode(n) || n.type !== 'CallExpression' || !(n.arguments as unknown[]).every(isInert)) return false;
  let callee = n.callee as Node;
  if (callee.type === 'SequenceExpression') {
    const parts = callee.expressions as Node[];
    if (parts.length !== 2 || !isPrimitive(parts[0])) return false;
    callee = parts[1]!;
  }
  if (callee.type !== 'MemberExpression' || callee.computed || (callee.property as Node).name !== 'proxyActivities') return false;
  const object = callee.object as Node;
  return object.type === 'Identifier' && requires.get(object.name as string) === '@temporalio/workflow';
}

/** A function, arrow function or class, possibly named by esbuild's `__name(…, "…")`. */
function functionOrClass(n: unknown): Node | undefined {
  if (!isNode(n)) return undefined;
  if (n.type === 'ArrowFunctionExpression' || n.type === 'FunctionExpression' || n.type === 'ClassExpression') return n;
  if (isCallOf(n, '__name')) {
    const args = n.arguments as Node[];
    if (args.length === 2 && args[1]!.type === 'Literal') return functionOrClass(args[0]);
  }
  return undefined;
}

/** esbuild's `__name(x, "x")` (keepNames). */
function isKeepName(n: unknown, target: 'Identifier' | 'ThisExpression'): boolean {
  if (!isNode(n) || n.type !== 'ExpressionStatement' || !isCallOf(n.expression, '__name')) return false;
  const args = (n.expression as Node).arguments as Node[];
  return args.length === 2 && args[0]!.type === target && args[1]!.type === 'Literal' && typeof args[1]!.value === 'string';
}

/**
 * Refuses a class whose static side could hold state; its own inner name (`class _T`) is a module
 * binding, and its method names are noted (an instance cannot assign over a frozen prototype's).
 */
function checkClass(n: Node, bindings: Set<string>, methods: Set<string>): void {
  if (isNode(n.id)) bindings.add(n.id.name as string);
  for (const m of (n.body as Node).body as Node[]) {
    if (m.type !== 'MethodDefinition' || m.static || !isNode(m.key)) continue;
    const key = m.key.type === 'Identifier' ? (m.key.name as string) : m.key.type === 'Literal' ? String(m.key.value) : undefined;
    if (key === undefined) continue;
    if (RUNTIME_FIELDS.has(key)) refuse(`a method or accessor is named ${key}, a field the node base class assigns`);
    methods.add(key);
  }
  if (n.superClass && !isNamePath(n.superClass)) refuse('a class extends something other than a name');
  for (const m of (n.body as Node).body as Node[]) {
    if (m.computed) refuse('a class member has a computed name');
    if (m.type === 'MethodDefinition') continue;
    if (m.type === 'PropertyDefinition') {
      if (m.static && m.value !== null && !isInert(m.value)) refuse('a static field holds something other than literal data');
      continue;
    }
    if (m.type === 'StaticBlock') {
      const body = m.body as Node[];
      if (body.length === 1 && isKeepName(body[0], 'ThisExpression')) continue;
      refuse('a class has a static block');
    }
    refuse(`a class has a ${m.type}`);
  }
}

/** Reads the top level; returns the names of top-level bindings by kind. */
function readTopLevel(body: Node[]): { locals: string[]; bindings: Set<string>; methods: Set<string> } {
  const methods = new Set<string>();
  const locals: string[] = [];
  const bindings = new Set<string>();
  const exportObjects = new Set<string>();
  const requires = new Map<string, string>();
  for (const s of body) {
    if (s.type === 'ExpressionStatement' && s.directive) continue;
    if (s.type === 'EmptyStatement') continue;
    if (s.type === 'FunctionDeclaration') {
      const name = (s.id as Node).name as string;
      locals.push(name);
      bindings.add(name);
      continue;
    }
    if (s.type === 'ClassDeclaration') {
      checkClass(s, bindings, methods);
      const name = (s.id as Node).name as string;
      locals.push(name);
      bindings.add(name);
      continue;
    }
    if (s.type === 'VariableDeclaration') {
      for (const d of s.declarations as Node[]) {
        if (!isNode(d.id) || d.id.type !== 'Identifier') refuse('a top-level declaration destructures');
        const name = d.id.name as string;
        bindings.add(name);
        const init = d.init;
        const specifier = requiredSpecifier(init);
        if (specifier !== undefined) {
          requires.set(name, specifier);
          continue;
        }
        if (isNamePath(init) || isPrimitive(init) || isActivityProxy(init, requires)) continue;
        const fn = functionOrClass(init);
        if (fn) {
          if (fn.type === 'ClassExpression') checkClass(fn, bindings, methods);
          locals.push(name);
          continue;
        }
        if (isNode(init) && init.type === 'ObjectExpression' && (init.properties as unknown[]).length === 0 && name.endsWith('_exports')) {
          exportObjects.add(name);
          locals.push(name);
          continue;
        }
        refuse(`the top-level binding ${name} holds something that could change`);
      }
      continue;
    }
    if (s.type === 'ExpressionStatement') {
      const e = s.expression as Node;
      if (isKeepName(s, 'Identifier')) continue;
      if (isCallOf(e, '__export')) {
        const [target, all] = e.arguments as Node[];
        if (target?.type === 'Identifier' && exportObjects.has(target.name as string) && all?.type === 'ObjectExpression') continue;
      }
      if (
        e.type === 'AssignmentExpression' &&
        e.operator === '=' &&
        isNode(e.left) &&
        e.left.type === 'MemberExpression' &&
        isNamePath(e.left) &&
        (e.left.object as Node).type === 'Identifier' &&
        (e.left.object as Node).name === 'module' &&
        (e.left.property as Node).name === 'exports' &&
        isNode(e.right) &&
        e.right.type === 'Identifier' &&
        exportObjects.has(e.right.name as string)
      ) {
        continue;
      }
      refuse('a top-level statement runs code');
    }
    refuse(`a top-level ${s.type}`);
  }
  return { locals, bindings, methods };
}

/** The object a member chain starts from (`a` in `a.b[c].d`), or the innermost non-member node. */
function baseOf(n: Node): Node {
  let cur = n;
  while (cur.type === 'MemberExpression' || cur.type === 'ChainExpression') cur = (cur.type === 'ChainExpression' ? cur.expression : cur.object) as Node;
  return cur;
}

/** Whether a member chain names `constructor` or `prototype` (`this.constructor.x`, `X.prototype.y`). */
function touchesClass(n: Node): boolean {
  for (let cur: Node = n; cur.type === 'MemberExpression'; cur = cur.object as Node) {
    const p = cur.property as Node;
    if (!cur.computed && (p.name === 'constructor' || p.name === 'prototype')) return true;
  }
  return false;
}

/**
 * The names and members an assignment target writes: itself, or everything a destructuring
 * pattern (`[a, { b: X.y }] = …`, defaults and rest included) assigns to.
 */
function assignedTargets(target: Node, out: Node[] = []): Node[] {
  switch (target.type) {
    case 'ArrayPattern':
      for (const element of target.elements as unknown[]) if (isNode(element)) assignedTargets(element, out);
      break;
    case 'ObjectPattern':
      for (const p of target.properties as Node[]) assignedTargets((p.type === 'RestElement' ? p.argument : p.value) as Node, out);
      break;
    case 'AssignmentPattern':
      assignedTargets(target.left as Node, out);
      break;
    case 'RestElement':
      assignedTargets(target.argument as Node, out);
      break;
    default:
      out.push(target);
  }
  return out;
}

/**
 * Refuses writes to module-level objects anywhere in the module. In a static member, `this` is the
 * class: a write through it counts too.
 */
function checkWrites(root: Node, bindings: Set<string>, methods: Set<string>): void {
  const isModuleObject = (target: Node, inStatic: boolean): boolean => {
    const base = baseOf(target);
    if (base.type === 'Super') return true;
    if (base.type === 'ThisExpression' && inStatic) return true;
    if (base.type === 'Identifier' && bindings.has(base.name as string)) return true;
    return touchesClass(target);
  };
  const visit = (n: Node, inStatic: boolean): void => {
    if ((n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') && n.static) inStatic = true;
    if (n.type === 'StaticBlock') inStatic = true;
    // A for-in/of loop over a name or pattern (not a declaration) assigns to it on every turn.
    const written =
      n.type === 'AssignmentExpression' ? (n.left as Node)
      : n.type === 'UpdateExpression' ? (n.argument as Node)
      : (n.type === 'ForOfStatement' || n.type === 'ForInStatement') && (n.left as Node).type !== 'VariableDeclaration' ? (n.left as Node)
      : undefined;
    for (const target of written ? assignedTargets(written) : []) {
      if (target.type === 'Identifier' && bindings.has(target.name as string)) refuse(`${String(target.name)} is assigned`);
      if (target.type === 'MemberExpression' && isModuleObject(target, inStatic)) refuse('a member of a module-level object is written');
      if (target.type === 'MemberExpression' && (target.object as Node).type === 'ThisExpression') {
        const key = target.property as Node;
        if (target.computed) refuse('a computed member of this is written (it could name a method of the frozen prototype)');
        if (methods.has(key.name as string)) refuse(`this.${String(key.name)} is assigned over a method of the frozen prototype`);
      }
    }
    switch (n.type) {
      case 'UnaryExpression':
        if (n.operator === 'delete' && isNode(n.argument) && n.argument.type === 'MemberExpression' && isModuleObject(n.argument, inStatic)) refuse('a member of a module-level object is deleted');
        break;
      case 'CallExpression': {
        const callee = n.callee as Node;
        const first = (n.arguments as Node[])[0];
        if (isNamePath(callee) && callee.type === 'MemberExpression' && first) {
          const name = `${String((callee.object as Node).name)}.${String((callee.property as Node).name)}`;
          if (WRITERS.has(name) && (first.type === 'ThisExpression' || isModuleObject(first, inStatic))) refuse(`${name} is called on this or on a module-level object`);
        }
        break;
      }
      default:
        break;
    }
    for (const key of Object.keys(n)) {
      const v = n[key];
      if (Array.isArray(v)) {
        for (const item of v) if (isNode(item)) visit(item, inStatic);
      } else if (isNode(v)) {
        visit(v, inStatic);
      }
    }
  };
  visit(root, false);
}

/**
 * Whether the module given as the factory's CommonJS text may be evaluated once per isolate; when
 * it may, the names of its top-level functions, classes and export objects (to freeze).
 *
 * @example
 * ```ts
 * moduleReuse('var Tally = class extends import_btree.ActionNode { tick() {} };') // { reusable: true, locals: ['Tally'] }
 * moduleReuse('let n = 0;')                                                       // { reusable: false, reason: … }
 * ```
 */
export function moduleReuse(cjsCode: string): ModuleReuse {
  let program: Node;
  try {
    program = parse(cjsCode, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true }) as unknown as Node;
  } catch (e) {
    return { reusable: false, reason: `the module could not be read: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    const { locals, bindings, methods } = readTopLevel(program.body as Node[]);
    checkWrites(program, bindings, methods);
    return { reusable: true, locals };
  } catch (e) {
    if (e instanceof NotReusable) return { reusable: false, reason: e.message };
    throw e;
  }
}
