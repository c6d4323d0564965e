import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../src/main/core/db/connection';
import { createTokenRepository } from '../../../../src/main/core/repositories/token-repository';
import { tempDir } from '../../../helpers/temp-dir';

const run = promisify(execFile);

describe('claiming a token use', () => {
  it('never passes max_uses when separate processes race for it', async () => {
    const file = join(tempDir(), 'race.db');
    const db = openDatabase(file);
    const tokens = createTokenRepository(db);
    const id = randomUUID();
    tokens.insert({
      id,
      tokenHash: randomBytes(32),
      tokenSealed: null,
      prefix: 'GATE-TEST',
      description: '',
      expiresAt: Date.now() + 3_600_000,
      maxUses: 5,
      labels: [],
      autoApprove: false,
      allowedCidrs: [],
      createdAt: Date.now(),
      createdBy: 'test',
    });
    const script = join(import.meta.dirname, 'claim-processes.ts');
    const racers = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--import', 'tsx', script, file, id, '25'])),
    );
    const won = racers.reduce((sum, r) => sum + Number(r.stdout), 0);
    expect(won).toBe(5);
    expect(tokens.findById(id)!.use_count).toBe(5);
    db.close();
  });
});
