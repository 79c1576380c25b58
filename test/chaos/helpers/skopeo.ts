import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * skopeo run the way an operator would, but touching nothing outside `home`: its blob
 * info cache (which is what makes a copy between two repositories of one registry a
 * cross-repository mount), auth file and per-user configuration all live there.
 * As root, skopeo would put the cache in /var/lib/containers/cache; containers/image
 * takes `_CONTAINERS_ROOTLESS_UID` as the user it runs as, so a non-zero value sends
 * it to `$XDG_DATA_HOME` instead. `--insecure-policy`: no /etc/containers/policy.json
 * needed, nothing is signed here.
 */
export class Skopeo {
  readonly #binary: string;
  readonly #env: Record<string, string>;

  constructor(binary: string, home: string) {
    this.#binary = binary;
    const dirs = { HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), XDG_RUNTIME_DIR: join(home, 'run'), TMPDIR: join(home, 'tmp') };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const uid = process.getuid?.() ?? 0;
    this.#env = { PATH: process.env['PATH'] ?? '', ...dirs, _CONTAINERS_ROOTLESS_UID: String(uid === 0 ? 65534 : uid) };
  }

  /** Runs `skopeo --insecure-policy <args>`; returns stdout, or throws with stderr. */
  async run(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run(this.#binary, ['--insecure-policy', ...args], { env: this.#env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(`skopeo ${args.join(' ')} failed: ${stderr?.trim() || message}`);
    }
  }
}
