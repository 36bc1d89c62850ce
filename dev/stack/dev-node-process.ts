import { join } from 'node:path';

import { type LoggedProcess, spawnLogged } from './child-process';

const repoRoot = join(__dirname, '../..');

/** Options of {@link spawnDevNode}. */
export interface SpawnDevNodeOptions {
  /** HTTP API port; 0 (the default) picks a free one. Pass the first run's port to restart on the same one. */
  readonly port?: number;
  /** Event Stream port; 0 (the default) picks a free one. */
  readonly wsPort?: number;
  /** Folder of the chain file; omitted, the chain lives in the process's memory only. */
  readonly dataDir?: string;
  /** Called with each line the node writes to stdout or stderr. */
  readonly onLine?: (line: string) => void;
}

/** The dev node running as its own process (`npm run devnode`), so that it can be killed and restarted. */
export interface DevNodeProcess extends Pick<LoggedProcess, 'child' | 'exited' | 'output' | 'stop'> {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The API root, with its trailing slash: `http://127.0.0.1:41234/api/v1/`. */
  readonly apiUrl: string;
  readonly streamUrl: string;
  /** The ports it listens on: pass them to the next {@link spawnDevNode} to restart it where clients expect it. */
  readonly port: number;
  readonly wsPort: number;
}

/**
 * Starts `dev/bigchaindb/cli.ts` (through tsx) on 127.0.0.1 and resolves once it listens, with the ports it got.
 *
 * @throws Error with the process's output when it exits before it listens (a port in use, a corrupt chain file).
 */
export async function spawnDevNode(options: SpawnDevNodeOptions = {}): Promise<DevNodeProcess> {
  const args = [
    '--import',
    'tsx',
    'dev/bigchaindb/cli.ts',
    '--host',
    '127.0.0.1',
    '--port',
    String(options.port ?? 0),
    '--ws-port',
    String(options.wsPort ?? 0),
  ];
  args.push(...(options.dataDir === undefined ? ['--memory'] : ['--data', options.dataDir]));
  const node = spawnLogged(args, { cwd: repoRoot, ...(options.onLine ? { onLine: options.onLine } : {}) });
  try {
    const { url, streamUrl } = await node.waitForLine(startedEntry);
    return {
      child: node.child,
      exited: node.exited,
      output: node.output,
      stop: node.stop,
      url,
      apiUrl: `${url}/api/v1/`,
      streamUrl,
      port: Number(new URL(url).port),
      wsPort: Number(new URL(streamUrl).port),
    };
  } catch (error) {
    await node.stop('SIGKILL');
    throw error;
  }
}

/** The node's `dev node started` log entry (a JSON line), which names both URLs. */
function startedEntry(line: string): { url: string; streamUrl: string } | undefined {
  if (!line.startsWith('{')) return undefined;
  const entry = JSON.parse(line) as { msg?: unknown; url?: unknown; streamUrl?: unknown };
  return entry.msg === 'dev node started' ? { url: String(entry.url), streamUrl: String(entry.streamUrl) } : undefined;
}
