/**
 * Finds, reads, merges and validates the configuration.
 * Precedence: flags > env > config file > defaults.
 */
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import envPaths from 'env-paths';
import type { ZodIssue } from 'zod';
import { PeerchatError, type Warning } from '../errors.js';
import { describeIssues, describeValue, expectedErrorMap, formatPath } from './issues.js';
import { portFromText } from './port-text.js';
import { type Config, type ConfigInput, configSchema, NAME_MAX, nameSchema } from './schema.js';

export const MODULE_NAME = 'peerchat';
const FALLBACK_NAME = 'peer';

/** Where a project config is looked for, in each directory from cwd upwards. */
export const SEARCH_PLACES = [
  'package.json',
  `.${MODULE_NAME}rc`,
  `.${MODULE_NAME}rc.json`,
  `.${MODULE_NAME}rc.yaml`,
  `.${MODULE_NAME}rc.yml`,
  `.${MODULE_NAME}rc.js`,
  `.${MODULE_NAME}rc.mjs`,
  `.${MODULE_NAME}rc.cjs`,
  `.config/${MODULE_NAME}rc`,
  `.config/${MODULE_NAME}rc.json`,
  `.config/${MODULE_NAME}rc.yaml`,
  `.config/${MODULE_NAME}rc.yml`,
  `${MODULE_NAME}.config.js`,
  `${MODULE_NAME}.config.mjs`,
  `${MODULE_NAME}.config.cjs`,
  `${MODULE_NAME}.config.json`,
];

/** Where the user config is looked for, in the user config directory (e.g. ~/.config/peerchat/). */
export const USER_SEARCH_PLACES = [
  'config',
  'config.json',
  'config.yaml',
  'config.yml',
  'config.js',
  'config.mjs',
  'config.cjs',
];

/** Environment variables and the key each sets. */
export const ENV_VARS = {
  PEERCHAT_NAME: 'name',
  PEERCHAT_HOST: 'host',
  PEERCHAT_PORT: 'port',
  PEERCHAT_DATA_DIR: 'dataDir',
  PEERCHAT_LOG_LEVEL: 'logLevel',
  PEERCHAT_CLASSIC: 'classic',
  PEERCHAT_STORE: 'store',
} as const satisfies Record<string, keyof ConfigInput>;

/** Flags (kebab-case) by the key they set, for error messages. */
const FLAG_NAMES: Record<string, string> = {
  autoConnect: '--connect',
  plugins: '--plugin',
  rooms: '--room',
  dataDir: '--data-dir',
  logLevel: '--log-level',
};

/** Lists that flags add to rather than replace: `--connect x` adds x to the configured peers. */
const APPENDED_KEYS = new Set(['autoConnect', 'plugins', 'rooms']);

export interface LoadOptions {
  /** Where the upward search starts; relative flag paths resolve against it. @default process.cwd() */
  cwd?: string;
  /** An explicit config file (`--config`); it must exist. Overrides PEERCHAT_CONFIG. */
  configPath?: string;
  /** Settings from the command line, the highest precedence. */
  flags?: ConfigInput;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Also look in the user config directory after the project search. @default true */
  searchUserConfig?: boolean;
  /** @default envPaths('peerchat', { suffix: '' }).config */
  userConfigDir?: string;
  /**
   * The upward search stops after this directory. @default the home directory ($HOME), or the
   * filesystem root when cwd is outside it
   */
  stopDir?: string;
  /** Asked when no name is configured (a TTY); without it the OS user name is used. */
  promptName?: () => Promise<string>;
}

export interface LoadedConfig {
  config: Config;
  /** The config file used, or null. */
  filepath: string | null;
  /** Directory of the config file (or cwd): relative paths in the file were resolved against it. */
  baseDir: string;
  /** Things worth telling the user that did not stop loading (an empty config file). */
  warnings: Warning[];
}

type Raw = Record<string, unknown>;

export async function loadConfig(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const cwd = path.resolve(opts.cwd ?? process.cwd());

  const warnings: Warning[] = [];
  const found = await findFile(opts, env, cwd, (file) =>
    warnings.push({
      code: 'ERR_CONFIG_EMPTY',
      message: `${file} is empty: no settings were read from it`,
    }),
  );
  const baseDir = found ? path.dirname(found.filepath) : cwd;
  const fileRaw = found ? checkLayer(found.config, found.filepath, formatPath) : {};
  const envRaw = checkLayer(fromEnv(env), 'environment', (p) => envName(p));
  const flagsRaw = checkLayer(
    stripUndefined(opts.flags ?? {}),
    'command line',
    (p) => flagName(p),
    'ERR_USAGE',
  );

  resolvePaths(fileRaw, baseDir);
  resolvePaths(envRaw, cwd);
  resolvePaths(flagsRaw, cwd);

  const merged = merge(merge(fileRaw, envRaw, false), flagsRaw, true);
  const parsed = configSchema.safeParse(merged, { errorMap: expectedErrorMap });
  if (!parsed.success)
    throw invalid(found?.filepath ?? 'configuration', parsed.error.issues, merged, formatPath);
  const p = parsed.data;

  const name = p.name ?? (opts.promptName ? await opts.promptName() : osUserName(env));
  const dataDir = path.resolve(cwd, p.dataDir ?? envPaths(MODULE_NAME, { suffix: '' }).data);
  return { config: { ...p, name, dataDir }, filepath: found?.filepath ?? null, baseDir, warnings };
}

async function findFile(
  opts: LoadOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
  onEmpty: (file: string) => void,
): Promise<{ config: unknown; filepath: string } | null> {
  const explicit = opts.configPath ?? nonEmpty(env.PEERCHAT_CONFIG);
  if (explicit !== undefined) {
    const file = path.resolve(cwd, explicit);
    const via = opts.configPath !== undefined ? '--config' : 'PEERCHAT_CONFIG';
    const st = await stat(file).catch(() => null);
    if (!st?.isFile())
      throw new PeerchatError('ERR_CONFIG_NOT_FOUND', `config file not found: ${file} (from ${via})`);
    const explorer = cosmiconfig(MODULE_NAME, {
      searchPlaces: SEARCH_PLACES,
      cache: false,
      loaders: LOADERS,
    });
    const res = await guard(file, () => explorer.load(file));
    if (!res || res.isEmpty) onEmpty(file);
    return { config: res?.config ?? {}, filepath: file };
  }

  const project = cosmiconfig(MODULE_NAME, {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'none',
    cache: false,
    loaders: LOADERS,
    ignoreEmptySearchPlaces: false, // an empty file is reported, not skipped in silence
  });
  const home = nonEmpty(env.HOME) ?? os.homedir();
  const stopDir = path.resolve(opts.stopDir ?? home);
  for (let dir = cwd; ; ) {
    const res = await guard(dir, () => project.search(dir));
    if (res?.isEmpty) onEmpty(res.filepath);
    else if (res) return { config: res.config, filepath: res.filepath };
    const parent = path.dirname(dir);
    if (parent === dir || dir === stopDir) break;
    dir = parent;
  }

  if (opts.searchUserConfig === false) return null;
  const userDir = opts.userConfigDir ?? envPaths(MODULE_NAME, { suffix: '' }).config;
  const user = cosmiconfig(MODULE_NAME, {
    searchPlaces: USER_SEARCH_PLACES,
    searchStrategy: 'none',
    cache: false,
    loaders: LOADERS,
    ignoreEmptySearchPlaces: false, // an empty file is reported, not skipped in silence
  });
  const res = await guard(userDir, () => user.search(userDir));
  if (res?.isEmpty) onEmpty(res.filepath);
  return res && !res.isEmpty ? { config: res.config, filepath: res.filepath } : null;
}

/**
 * cosmiconfig's loaders, except that a file whose content is `null` (JSON `null`, YAML `~`,
 * `export default null`) is an error: cosmiconfig would skip it as if there were no file.
 */
const LOADERS = Object.fromEntries(
  Object.entries(defaultLoaders).map(([ext, load]) => [
    ext,
    (async (file, content) => {
      const value = await (load as Loader)(file, content);
      if (value !== null) return value;
      // a file of comments only is empty (undefined: cosmiconfig's isEmpty, warned), not a null
      if (content.replace(/^\s*#.*$/gm, '').trim() === '') return undefined;
      throw new PeerchatError('ERR_CONFIG_INVALID', `${file}: expected an object of settings, found null`);
    }) as Loader,
  ]),
);

/** A file that cannot be parsed (YAML, JSON, a throwing JS module) is a config error naming the file. */
async function guard<T>(where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PeerchatError) throw err;
    const file = (err as { filepath?: string }).filepath ?? where;
    const source = await readFile(file, 'utf8').catch(() => undefined);
    let reason = parseReason(err, source);
    // V8's "Unexpected token" has no position: a JavaScript parser finds the same spot (JSON, or
    // the syntax error of a .js/.mjs/.cjs config, which Node reports without line and column)
    const kind = /\.json$/i.test(file)
      ? 'json'
      : /\.[cm]?js$/i.test(file) && err instanceof SyntaxError
        ? 'js'
        : null;
    if (source !== undefined && kind && !/\(line \d+/.test(reason)) {
      const at = await syntaxErrorAt(source, kind);
      if (at) reason += ` (line ${at.line}, column ${at.column})`;
    }
    throw new PeerchatError('ERR_CONFIG_INVALID', `${file}: cannot be read: ${reason}`, { cause: err });
  }
}

/** Where acorn stops reading `source` (JSON: as one expression) (1-based), or null when it reads it. */
async function syntaxErrorAt(
  source: string,
  kind: 'json' | 'js',
): Promise<{ line: number; column: number } | null> {
  const { parse, parseExpressionAt } = await import('acorn');
  try {
    const options = { ecmaVersion: 'latest', locations: true, allowHashBang: true } as const;
    if (kind === 'json') parseExpressionAt(source, 0, options);
    else parse(source, { ...options, sourceType: 'module', allowReturnOutsideFunction: true });
    return null;
  } catch (err) {
    const loc = (err as { loc?: { line: number; column: number } }).loc;
    return loc ? { line: loc.line, column: loc.column + 1 } : null;
  }
}

/** 1-based line and column of a character offset. */
function lineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/**
 * The parser's own reason, with line and column. cosmiconfig starts with "JSON Error in <file>:";
 * the JSON reason quotes the whole file after "while parsing" and some Node versions add a code
 * frame and no line: the frame and quote are dropped, the line and column kept or computed.
 */
export function parseReason(err: unknown, source?: string): string {
  const e = err as { message?: unknown; reason?: unknown; mark?: { line?: number; column?: number } };
  // js-yaml: the reason and a 0-based mark
  if (typeof e?.reason === 'string' && typeof e.mark?.line === 'number') {
    return `${e.reason} (line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1})`;
  }
  const text = typeof e?.message === 'string' ? e.message : String(err);
  const json = /(^|\n)([^\n]* in JSON at position (\d+)[^\n]*)/.exec(text);
  if (json) {
    const reason = (json[2] ?? '').replace(/ while parsing [\s\S]*$/, '').trim();
    const given = /\(line (\d+) column (\d+)\)/.exec(reason);
    if (given) return reason.replace(given[0], `(line ${given[1]}, column ${given[2]})`);
    if (source === undefined) return reason;
    const { line, column } = lineColumn(source, Number(json[3]));
    return `${reason} (line ${line}, column ${column})`;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const body = /^(JSON|YAML) Error in /.test(lines[0] ?? '') ? lines.slice(1) : lines;
  return (body[0] ?? text).replace(/ while parsing [\s\S]*$/, '').trim();
}

/** Validate one layer on its own so its errors name where the bad value came from. */
function checkLayer(
  raw: unknown,
  source: string,
  name: (p: readonly (string | number)[]) => string,
  code: 'ERR_CONFIG_INVALID' | 'ERR_USAGE' = 'ERR_CONFIG_INVALID',
): Raw {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PeerchatError(code, `${source}: expected an object of settings, found ${describeValue(raw)}`);
  }
  const res = configSchema.safeParse(raw, { errorMap: expectedErrorMap });
  if (!res.success) throw invalid(source, res.error.issues, raw, name, code);
  return { ...(raw as Raw) };
}

function invalid(
  source: string,
  issues: readonly ZodIssue[],
  input: unknown,
  name: (p: readonly (string | number)[]) => string,
  code: 'ERR_CONFIG_INVALID' | 'ERR_USAGE' = 'ERR_CONFIG_INVALID',
): PeerchatError {
  const lines = describeIssues(issues, input, configSchema, name);
  return new PeerchatError(code, `${source}: ${lines.join('; ')}`);
}

function envName(p: readonly (string | number)[]): string {
  const key = p[0];
  const v = Object.entries(ENV_VARS).find(([, k]) => k === key)?.[0];
  return v ?? (key === 'color' ? 'NO_COLOR' : formatPath(p));
}

function flagName(p: readonly (string | number)[]): string {
  const key = String(p[0]);
  const flag = FLAG_NAMES[key] ?? `--${key}`;
  return p.length > 1 ? `${flag}${formatPath(p.slice(1)).replace(/^(?!\[)/, '.')}` : flag;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** Env values are text: numbers and booleans are converted; anything else is left for the schema to reject. */
function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const out: Raw = {};
  for (const [variable, key] of Object.entries(ENV_VARS)) {
    const v = nonEmpty(env[variable]);
    if (v === undefined) continue;
    if (key === 'port') out[key] = portFromText(v);
    else if (key === 'classic' || key === 'store') {
      const w = v.trim().toLowerCase();
      out[key] = TRUE_WORDS.has(w) ? true : FALSE_WORDS.has(w) ? false : v;
    } else out[key] = v;
  }
  // https://no-color.org: any non-empty value turns colour off
  if (nonEmpty(env.NO_COLOR) !== undefined) out.color = false;
  return out;
}

function stripUndefined(o: object): Raw {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function isPlainObject(v: unknown): v is Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge; arrays are replaced, except the appended lists when `append` is set. */
function merge(base: Raw, over: Raw, append: boolean): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    if (isPlainObject(b) && isPlainObject(v)) out[k] = merge(b, v, false);
    else if (append && APPENDED_KEYS.has(k) && Array.isArray(b) && Array.isArray(v))
      out[k] = dedupe([...b, ...v]);
    else out[k] = v;
  }
  return out;
}

function dedupe(list: unknown[]): unknown[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const id = JSON.stringify(x);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** "./x", "../x", "." and "..": a path relative to the file (or cwd) that names it. Bare names are packages. */
export function isRelativeSpec(spec: string): boolean {
  return /^\.\.?([\\/]|$)/.test(spec);
}

/** Relative plugin specs and dataDir are resolved against the directory of the layer that names them. */
function resolvePaths(raw: Raw, baseDir: string): void {
  if (typeof raw.dataDir === 'string') raw.dataDir = path.resolve(baseDir, raw.dataDir);
  if (!Array.isArray(raw.plugins)) return;
  raw.plugins = raw.plugins.map((entry: unknown) => {
    if (typeof entry === 'string') return isRelativeSpec(entry) ? path.resolve(baseDir, entry) : entry;
    if (Array.isArray(entry) && typeof entry[0] === 'string' && isRelativeSpec(entry[0])) {
      return [path.resolve(baseDir, entry[0]), ...entry.slice(1)];
    }
    return entry;
  });
}

/** The OS user name, made a valid peer name: whitespace removed, at most 32 characters. */
export function osUserName(env: NodeJS.ProcessEnv = process.env): string {
  let raw: string | undefined;
  try {
    raw = os.userInfo().username;
  } catch {
    // no passwd entry (some containers)
    raw = env.USER ?? env.LOGNAME ?? env.USERNAME;
  }
  return sanitizeName(raw ?? '');
}

export function sanitizeName(raw: string): string {
  const name = raw.replace(/\s+/g, '').slice(0, NAME_MAX);
  return nameSchema.safeParse(name).success ? name : FALLBACK_NAME;
}

/** The JSON user config file the first-run name prompt offers to save to. */
export function userConfigFile(dir: string = envPaths(MODULE_NAME, { suffix: '' }).config): string {
  return path.join(dir, 'config.json');
}
