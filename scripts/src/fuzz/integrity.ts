/**
 * Checks of a log's leaves that no hostile client or crash may break: no two
 * identical leaves; at most one `decryption-request` and one
 * `decryption-complete` per request id; one `approval` per custodian per
 * warrant; one `release` per custodian per request; one `warrant` entry per
 * warrant id; every leaf is JSON with a `type`.
 */

export interface IntegrityReport {
  size: number;
  byType: Record<string, number>;
  problems: string[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function checkLeaves(leaves: readonly Uint8Array[]): IntegrityReport {
  const problems: string[] = [];
  const byType: Record<string, number> = {};
  const seenLeaf = new Map<string, number>();
  const once = new Map<string, number>();
  const unique = (key: string, index: number, what: string) => {
    const prev = once.get(key);
    if (prev !== undefined) problems.push(`${what} logged twice: entries ${prev} and ${index}`);
    else once.set(key, index);
  };
  leaves.forEach((leaf, index) => {
    const hex = Buffer.from(leaf).toString('hex');
    const prev = seenLeaf.get(hex);
    if (prev !== undefined) problems.push(`entries ${prev} and ${index} are identical leaves`);
    else seenLeaf.set(hex, index);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(decoder.decode(leaf)) as Record<string, unknown>;
    } catch {
      problems.push(`entry ${index} is not UTF-8 JSON`);
      return;
    }
    const type = typeof entry.type === 'string' ? entry.type : '?';
    byType[type] = (byType[type] ?? 0) + 1;
    switch (type) {
      case 'decryption-request':
        unique(`request:${String(entry.requestId)}`, index, `decryption-request ${String(entry.requestId)}`);
        break;
      case 'decryption-complete':
        unique(`complete:${String(entry.requestId)}`, index, `decryption-complete ${String(entry.requestId)}`);
        break;
      case 'approval':
        unique(`approval:${String(entry.warrantId)}:${String(entry.custodian)}`, index, `approval of warrant ${String(entry.warrantId)} by custodian ${String(entry.custodian)}`);
        break;
      case 'release':
        unique(`release:${String(entry.requestId)}:${String(entry.custodian)}`, index, `release for ${String(entry.requestId)} by custodian ${String(entry.custodian)}`);
        break;
      case 'warrant':
        unique(`warrant:${String(entry.warrantId)}`, index, `warrant ${String(entry.warrantId)}`);
        break;
      case '?':
        problems.push(`entry ${index} has no type`);
        break;
    }
  });
  return { size: leaves.length, byType, problems };
}

/** Parsed entries (for callers that look for specific records). */
export function parseLeaves(leaves: readonly Uint8Array[]): Record<string, unknown>[] {
  return leaves.map((l) => JSON.parse(Buffer.from(l).toString('utf8')) as Record<string, unknown>);
}
