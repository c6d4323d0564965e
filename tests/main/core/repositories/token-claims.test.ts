import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';
import type { Store } from '../../../../src/main/core/store/store';
import { tempDir } from '../../../helpers/temp-dir';

const run = promisify(execFile);

/** A token valid for an hour with `maxUses` uses. */
function insertToken(store: Store, id: string, maxUses: number): Promise<void> {
  return store.write((tx) =>
    tx.tokens.insert({
      id,
      tokenHash: randomBytes(32),
      tokenSealed: null,
      prefix: 'GATE-TEST',
      description: '',
      expiresAt: Date.now() + 3_600_000,
      maxUses,
      labels: [],
      autoApprove: false,
      allowedCidrs: [],
      createdAt: Date.now(),
      createdBy: 'test',
    }),
  );
}

describe('claiming a token use', () => {
  it('never passes max_uses when separate processes race for it', async () => {
    const file = join(tempDir(), 'race.db');
    const store = openSqliteStore(file);
    const id = randomUUID();
    await insertToken(store, id, 5);
    const script = join(import.meta.dirname, 'claim-processes.ts');
    const racers = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', script, file, id, '25'])),
    );
    const won = racers.map((r) => Number(r.stdout));
    expect(won.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    expect(won.reduce((sum, n) => sum + n, 0)).toBe(5);
    expect((await store.read((r) => r.tokens.findById(id)))!.use_count).toBe(5);
    await store.close();
  });

  it('never passes max_uses when one process claims in one batch', async () => {
    const store = openSqliteStore(join(tempDir(), 'batch.db'));
    const id = randomUUID();
    await insertToken(store, id, 3);
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => store.write((tx) => tx.tokens.claimUse(id, Date.now()))),
    );
    expect(claims.filter(Boolean)).toHaveLength(3);
    expect((await store.read((r) => r.tokens.findById(id)))!.use_count).toBe(3);
    await store.close();
  });
});
