/**
 * Installs the project the way a user gets it: `npm pack`, then the tarball installed with `--omit=dev`
 * into an empty folder. The install uses a lock file derived from the repository's (same versions as
 * tested, production entries only) and `--offline`, so it needs nothing beyond npm's cache, which `npm ci`
 * of the repository has filled. A runtime import that sits in devDependencies is absent from the result.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  devOptional?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

/** The packed and installed package. */
export interface PackedInstall {
  /** Files in the tarball, relative to the package root. */
  readonly files: readonly string[];
  /** The folder the tarball was installed into (holding `node_modules`). */
  readonly appDir: string;
  /** `node_modules/.bin/kore-qa-archive` of the install. */
  readonly bin: string;
  dispose(): void;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

/** Packs `repoRoot` and installs the tarball with `--omit=dev` into a fresh temporary folder. */
export function packAndInstall(repoRoot: string): PackedInstall {
  const dir = mkdtempSync(join(tmpdir(), 'kore-qa-pack-'));
  try {
    const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], repoRoot)) as [
      { filename: string; files: { path: string }[] },
    ];
    const tarball = `file:../${packed.filename}`;
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      dependencies: Record<string, string>;
      bin: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

    const packages: Record<string, unknown> = {
      '': { name: 'packed-install', version: '1.0.0', dependencies: { [pkg.name]: tarball } },
      [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: tarball, dependencies: pkg.dependencies, bin: pkg.bin },
    };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || !path.startsWith('node_modules/') || entry.dev === true || entry.link === true) continue;
      const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
      // The repository's lock omits registry URLs; npm's own form of them finds the cached tarballs.
      packages[path] = { ...rest, resolved: rest.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${rest.version}.tgz` };
    }
    const appDir = join(dir, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'package.json'), JSON.stringify({ name: 'packed-install', version: '1.0.0', private: true, dependencies: { [pkg.name]: tarball } }));
    writeFileSync(join(appDir, 'package-lock.json'), JSON.stringify({ name: 'packed-install', version: '1.0.0', lockfileVersion: 3, requires: true, packages }));
    npm(['ci', '--omit=dev', '--offline'], appDir);
    return {
      files: packed.files.map((f) => f.path).sort(),
      appDir,
      bin: join(appDir, 'node_modules', '.bin', Object.keys(pkg.bin)[0] ?? pkg.name),
      dispose: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
