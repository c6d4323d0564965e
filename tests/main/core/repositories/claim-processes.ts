// Run by token-claims.test.ts in several processes at once: each opens its own
// connection to the same file and races to claim uses of one token.
import { openDatabase } from '../../../../src/main/core/db/connection';
import { createTokenRepository } from '../../../../src/main/core/repositories/token-repository';

const [file, id, attempts] = process.argv.slice(2);
const tokens = createTokenRepository(openDatabase(file!));
let won = 0;
for (let i = 0; i < Number(attempts); i++) if (tokens.claimUse(id!, Date.now())) won++;
process.stdout.write(String(won));
