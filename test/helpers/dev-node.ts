import { type DevNode, type DevNodeOptions, startDevNode } from '../../dev/bigchaindb/dev-node';

/** A dev node on 127.0.0.1 with ports chosen by the system, in memory unless `dataDir` is given. */
export function startTestNode(options: DevNodeOptions = {}): Promise<DevNode> {
  return startDevNode({ host: '127.0.0.1', port: 0, wsPort: 0, ...options });
}
