/**
 * Bearer tokens of the example API server: a table `token → { tenantId, userId, roles }`, read
 * from `BTREE_PLUGINS_API_TOKENS` (JSON) or the JSON file named by `BTREE_PLUGINS_API_TOKENS_FILE`,
 * or generated for one run. A malformed table fails at start with an `InvalidInputError` that says
 * what is wrong and how to fix it; requests are matched in constant time (sha256 digests compared
 * with `timingSafeEqual`).
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { assertTenantId, InvalidInputError } from '../../src/index.js';
import type { ApiPrincipal, Authenticate } from '../../src/http/index.js';

/** Bearer token → who it authenticates. */
export type TokenTable = Record<string, ApiPrincipal>;

/** Where a table came from. */
export type TokenSource = 'BTREE_PLUGINS_API_TOKENS' | 'BTREE_PLUGINS_API_TOKENS_FILE' | 'options' | 'generated';

/** Environment variables read by {@link loadTokens}. */
export const TOKENS_ENV = 'BTREE_PLUGINS_API_TOKENS';
export const TOKENS_FILE_ENV = 'BTREE_PLUGINS_API_TOKENS_FILE';

/** Tokens are visible ASCII (no spaces), long enough not to be guessed. */
const TOKEN_PATTERN = /^[\x21-\x7e]{16,512}$/;
const MAX_USER_ID_LENGTH = 200;
const EXAMPLE = '{"<token of 16+ characters>": {"tenantId": "acme", "userId": "ana", "roles": ["approver"]}}';

function invalid(source: string, detail: string, hint = `the tokens are a JSON object like ${EXAMPLE}`): InvalidInputError {
  return new InvalidInputError('invalid API tokens', detail, { context: { source }, hint });
}

/**
 * Checks a parsed token table and returns a copy. Throws {@link InvalidInputError} naming the
 * first problem (which token, which field) and how to fix it.
 */
export function checkTokens(value: unknown, source: string): TokenTable {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(source, `expected a JSON object mapping tokens to principals, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  const entries = Object.entries(value);
  if (entries.length === 0) throw invalid(source, 'the table holds no token', `add at least one token, e.g. ${EXAMPLE}`);
  const table: TokenTable = Object.create(null) as TokenTable;
  entries.forEach(([token, principal], i) => {
    // Never echo a token back: name it by its position.
    const which = `token #${i + 1}`;
    if (!TOKEN_PATTERN.test(token)) {
      throw invalid(source, `${which} is ${token.length} characters${/[^\x21-\x7e]/.test(token) ? ' with spaces or non-ASCII characters' : ''}`, 'tokens are 16-512 visible ASCII characters without spaces; generate one with `openssl rand -base64 32`');
    }
    if (principal === null || typeof principal !== 'object' || Array.isArray(principal)) {
      throw invalid(source, `${which} maps to ${Array.isArray(principal) ? 'an array' : principal === null ? 'null' : typeof principal}, not an object`);
    }
    const p = principal as Record<string, unknown>;
    const unknown = Object.keys(p).filter((k) => !['tenantId', 'userId', 'roles'].includes(k));
    if (unknown.length > 0) throw invalid(source, `${which} has the unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}`, 'a principal has exactly `tenantId`, `userId` and `roles`');
    if (p.tenantId === undefined) throw invalid(source, `${which} has no tenantId`, 'give every token the tenant it acts for, e.g. "tenantId": "acme"');
    try {
      assertTenantId(p.tenantId);
    } catch (e) {
      throw invalid(source, `${which}: ${(e as InvalidInputError).detail}`, (e as InvalidInputError).hint);
    }
    if (typeof p.userId !== 'string' || p.userId.length === 0 || p.userId.length > MAX_USER_ID_LENGTH) {
      throw invalid(source, `${which} has ${p.userId === undefined ? 'no userId' : `a userId that is not a string of 1-${MAX_USER_ID_LENGTH} characters`}`, 'give every token the user it acts as (recorded as author and reviewer), e.g. "userId": "ana"');
    }
    if (!Array.isArray(p.roles) || !p.roles.every((r) => typeof r === 'string' && r.length > 0)) {
      throw invalid(source, `${which} has ${p.roles === undefined ? 'no roles' : 'roles that are not a list of role names'}`, 'give "roles": [] for an author, or ["approver"] for a user who may approve and reject');
    }
    table[token] = { tenantId: p.tenantId, userId: p.userId, roles: [...(p.roles as string[])] };
  });
  return table;
}

/** Parses and checks a JSON text of tokens. */
export function parseTokens(text: string, source: string): TokenTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw invalid(source, `not valid JSON (${(e as Error).message})`, `check quotes, commas and brackets; the tokens are a JSON object like ${EXAMPLE}`);
  }
  return checkTokens(value, source);
}

/**
 * The token table configured in `env`: `BTREE_PLUGINS_API_TOKENS` (JSON text) or
 * `BTREE_PLUGINS_API_TOKENS_FILE` (a JSON file), or `undefined` when neither is set.
 */
export async function loadTokens(env: NodeJS.ProcessEnv = process.env): Promise<{ tokens: TokenTable; source: TokenSource } | undefined> {
  const inline = env[TOKENS_ENV];
  const file = env[TOKENS_FILE_ENV];
  if (inline && file) {
    throw invalid(`${TOKENS_ENV} and ${TOKENS_FILE_ENV}`, 'both are set', `set only one of them (unset ${TOKENS_ENV} to use the file)`);
  }
  if (inline) return { tokens: parseTokens(inline, TOKENS_ENV), source: TOKENS_ENV };
  if (!file) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalid(`${TOKENS_FILE_ENV}=${file}`, `the file cannot be read (${code ?? (e as Error).message})`, `point ${TOKENS_FILE_ENV} at a readable JSON file of tokens, or unset it to generate tokens for this run`);
  }
  return { tokens: parseTokens(text, `${TOKENS_FILE_ENV}=${file}`), source: TOKENS_FILE_ENV };
}

/** Two random tokens for one run: an author (`acme`/`ana`) and an approver (`acme`/`rita`). */
export function generateTokens(): { author: string; approver: string; tokens: TokenTable } {
  const author = randomBytes(24).toString('base64url');
  const approver = randomBytes(24).toString('base64url');
  return {
    author,
    approver,
    tokens: {
      [author]: { tenantId: 'acme', userId: 'ana', roles: [] },
      [approver]: { tenantId: 'acme', userId: 'rita', roles: ['approver'] },
    },
  };
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The cookie the sign-in form (sign-in.ts) sets for browsers: the token itself, HttpOnly. */
export const SESSION_COOKIE = 'btree_example_session';

/** The value of the session cookie in a `Cookie` header, if any. */
function sessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The plugin's `authenticate` hook for `table`: `Authorization: Bearer <token>` (API clients) or
 * the session cookie of the sign-in form (browsers) → its principal, anything else → `null` (401).
 * Every stored digest is compared, so the time taken does not say which token (or how much of
 * one) matched.
 */
export function tokenAuthenticator(table: TokenTable): Authenticate {
  const known = Object.entries(table).map(([token, principal]) => ({ digest: digest(token), principal }));
  return (request) => {
    const header = request.headers.authorization;
    const bearer = header === undefined ? undefined : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1];
    // A request that sends an Authorization header is judged by it alone.
    const token = header === undefined ? sessionCookie(request.headers.cookie) : bearer;
    if (!token) return null;
    const presented = digest(token);
    let found: ApiPrincipal | undefined;
    for (const entry of known) {
      if (timingSafeEqual(presented, entry.digest) && found === undefined) found = entry.principal;
    }
    return found === undefined ? null : { tenantId: found.tenantId, userId: found.userId, roles: [...found.roles] };
  };
}
