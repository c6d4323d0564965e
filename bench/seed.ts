// Fills a data directory with a fleet for the bench: N hosts with known credentials,
// written through the store's own repositories (the same SQL the server uses).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dataPaths } from '../src/main/core/data-dir';
import { writeFileAtomic } from '../src/main/core/durable-file';
import { hashSecret } from '../src/main/core/security/secrets';
import { openSqliteStore } from '../src/main/core/store/sqlite-store';

export interface SeededFleet {
  /** Credentials of the approved hosts, by index. */
  credential(i: number): string;
  approved: number;
  pending: number;
  pendingTokenId: string;
}

export const benchCredential = (i: number) => `ghh_bench_${String(i).padStart(8, '0')}_${'x'.repeat(20)}`;

/** `approved` approved hosts (last seen just now) and `pending` pending ones from one token. */
export async function seedFleet(dir: string, approved: number, pending: number): Promise<SeededFleet> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = dataPaths(dir);
  writeFileAtomic(paths.secretKey, randomBytes(32).toString('base64') + '\n');
  const store = openSqliteStore(paths.database);
  const now = Date.now();
  const pendingTokenId = randomUUID();
  await store.write(async (tx) => {
    await tx.tokens.insert({
      id: pendingTokenId,
      tokenHash: hashSecret(`bench-token-${pendingTokenId}`),
      tokenSealed: null,
      prefix: 'GATE-BNCH',
      description: 'bench rack',
      expiresAt: now + 24 * 3_600_000,
      maxUses: 0,
      labels: ['bench'],
      autoApprove: false,
      allowedCidrs: [],
      createdAt: now,
      createdBy: 'bench',
    });
  });
  const total = approved + pending;
  for (let start = 0; start < total; start += 10_000) {
    await store.write(async (tx) => {
      for (let i = start; i < Math.min(total, start + 10_000); i++) {
        const isApproved = i < approved;
        const rack = `rack=r${Math.floor(i / 40)}`;
        await tx.hosts.insert({
          id: randomUUID(),
          hostname: `node-${String(i).padStart(6, '0')}.dc1.example.net`,
          machineId: `bench-machine-${i}`,
          status: isApproved ? 'APPROVED' : 'PENDING',
          remoteAddr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
          ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
          os: 'Debian 12',
          arch: 'x86_64',
          labels: ['bench', rack],
          facts: { serial: `SN${i}`, vendor: 'Dell Inc.', model: 'PowerEdge R650' },
          tokenId: pendingTokenId,
          tokenPrefix: 'GATE-BNCH',
          verificationCode: String(i % 1_000_000).padStart(6, '0'),
          replaces: null,
          conflict: false,
          expected: null,
          alarm: null,
          credentialHash: hashSecret(benchCredential(i)),
          registeredAt: now - (total - i) * 1000,
          decidedAt: isApproved ? now : null,
          decidedBy: isApproved ? 'bench' : null,
        });
      }
    });
  }
  await store.close();
  return { credential: benchCredential, approved, pending, pendingTokenId };
}
