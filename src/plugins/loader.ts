/**
 * Finds and imports a plugin module. A spec is a path (relative to `baseDir`), a package name
 * (resolved from `baseDir`, ESM "exports" first), or `peerchat:<name>` for a first-party plugin.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PeerchatError } from '../errors.js';
import { installPeerchatResolver } from './resolve-peerchat.js';

/** First-party plugins live in <package root>/plugins/<name>/index.js (from src/ or dist/ alike). */
const FIRST_PARTY_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));
const FIRST_PARTY_PREFIX = 'peerchat:';
/** Conditions used for package "exports", as `import()` would. */
const IMPORT_CONDITIONS = ['import', 'node', 'default'];

function isPathSpec(spec: string): boolean {
  return (
    spec.startsWith('./') ||
    spec.startsWith('../') ||
    spec === '.' ||
    spec === '..' ||
    spec.startsWith('file:') ||
    path.isAbsolute(spec)
  );
}

function loadError(spec: string, message: string, cause?: unknown): PeerchatError {
  return new PeerchatError('ERR_PLUGIN_LOAD', `cannot load plugin "${spec}": ${message}`, { cause });
}

/** The absolute file a spec names; throws ERR_PLUGIN_LOAD when there is none. */
export function resolvePluginSpec(spec: string, baseDir: string): string {
  if (typeof spec !== 'string' || spec.trim() === '') throw loadError(String(spec), 'the spec is empty');
  if (spec.startsWith(FIRST_PARTY_PREFIX)) {
    const name = spec.slice(FIRST_PARTY_PREFIX.length);
    const file = path.join(FIRST_PARTY_DIR, name, 'index.js');
    if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file)) {
      throw loadError(spec, `there is no first-party plugin "${name}"`);
    }
    return file;
  }
  const require = createRequire(path.join(path.resolve(baseDir), 'noop.js'));
  if (isPathSpec(spec)) {
    const target = spec.startsWith('file:') ? fileURLToPath(spec) : path.resolve(baseDir, spec);
    try {
      return require.resolve(target);
    } catch (err) {
      throw loadError(spec, `no file or directory at ${target}`, err);
    }
  }
  const fromExports = resolvePackageExports(spec, baseDir);
  if (fromExports) return fromExports;
  try {
    return require.resolve(spec);
  } catch (err) {
    throw loadError(spec, `no package "${spec}" can be found from ${baseDir}`, err);
  }
}

/** Imports the module a spec names and returns its default export and the module's URL. */
export async function importPlugin(spec: string, baseDir: string): Promise<{ value: unknown; url: string }> {
  const file = resolvePluginSpec(spec, baseDir);
  installPeerchatResolver();
  let mod: { default?: unknown };
  const url = pathToFileURL(file).href;
  try {
    mod = await import(url);
  } catch (err) {
    throw loadError(
      spec,
      `importing ${file} failed: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  if (mod.default === undefined) {
    throw loadError(spec, `${file} has no default export (export default definePlugin({ ... }))`);
  }
  return { value: mod.default, url };
}

/** `createRequire` ignores "import" conditions, so package "exports" are resolved here first. */
function resolvePackageExports(spec: string, baseDir: string): string | null {
  const parts = spec.split('/');
  const nameLength = spec.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const subpath = ['.', ...parts.slice(nameLength)].join('/');
  for (let dir = path.resolve(baseDir); ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', name);
    const pkgFile = path.join(pkgDir, 'package.json');
    if (existsSync(pkgFile)) return exportsTarget(pkgDir, pkgFile, subpath);
    if (path.dirname(dir) === dir) return null;
  }
}

function exportsTarget(pkgDir: string, pkgFile: string, subpath: string): string | null {
  let exportsField: unknown;
  try {
    exportsField = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports?: unknown }).exports;
  } catch {
    return null;
  }
  if (exportsField === undefined || exportsField === null) return null;
  const isSubpathMap =
    typeof exportsField === 'object' &&
    !Array.isArray(exportsField) &&
    Object.keys(exportsField).some((k) => k.startsWith('.'));
  const entry = isSubpathMap
    ? (exportsField as Record<string, unknown>)[subpath]
    : subpath === '.'
      ? exportsField
      : undefined;
  const target = pickCondition(entry);
  if (!target) return null;
  const file = path.resolve(pkgDir, target);
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

function pickCondition(entry: unknown): string | null {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) {
    for (const item of entry) {
      const found = pickCondition(item);
      if (found) return found;
    }
    return null;
  }
  if (typeof entry === 'object' && entry !== null) {
    for (const [condition, value] of Object.entries(entry)) {
      if (IMPORT_CONDITIONS.includes(condition)) {
        const found = pickCondition(value);
        if (found) return found;
      }
    }
  }
  return null;
}
