// Run by token-claims.test.ts in several processes at once: each opens its own store
// on the same file and races to claim uses of one token, one unit of work per claim.
import { openSqliteStore } from '../../../../src/main/core/store/sqlite-store';

async function main(): Promise<void> {
  const [file, id, attempts] = process.argv.slice(2);
  // Generous lock wait: four processes take turns at the write lock; none should give up.
  const store = openSqliteStore(file!, { lockWaitMs: 30_000 });
  let won = 0;
  for (let i = 0; i < Number(attempts); i++) {
    if (await store.write((tx) => tx.tokens.claimUse(id!, Date.now()))) won++;
  }
  await store.close();
  process.stdout.write(String(won));
}

main().catch((error: unknown) => {
  process.stderr.write(String(error));
  process.exit(1);
});
