import type { ParsedInput } from '../../../shared/api/operations';
import type { CreatedToken, RegistrationToken, TokenSecret } from '../../../shared/domain';
import type { SliceCreator } from './types';

export interface TokensSlice {
  tokens: RegistrationToken[];
  tokensLoaded: boolean;
  includeExpired: boolean;
  loadTokens(): Promise<void>;
  setIncludeExpired(value: boolean): Promise<void>;
  createToken(input: ParsedInput<'tokens.create'>): Promise<CreatedToken | null>;
  revokeToken(id: string): Promise<boolean>;
  deleteToken(id: string): Promise<boolean>;
  revealToken(id: string): Promise<TokenSecret | null>;
}

export const createTokensSlice: SliceCreator<TokensSlice> = (client) => (set, get) => ({
  tokens: [],
  tokensLoaded: false,
  includeExpired: false,
  loadTokens: () =>
    get().attempt(async () => {
      const { tokens } = await client.api['tokens.list']({ include_expired: get().includeExpired });
      set({ tokens, tokensLoaded: true });
    }, undefined),
  async setIncludeExpired(includeExpired) {
    set({ includeExpired });
    await get().loadTokens();
  },
  createToken: (input) =>
    get().attempt(async () => {
      const created = await client.api['tokens.create'](input);
      await get().loadTokens();
      return created;
    }, null),
  revokeToken: (id) =>
    get().attempt(async () => {
      const token = await client.api['tokens.revoke']({ id });
      set({ tokens: get().tokens.map((t) => (t.id === id ? token : t)) });
      get().notify('info', `Token ${token.prefix}… revoked.`);
      return true;
    }, false),
  deleteToken: (id) =>
    get().attempt(async () => {
      await client.api['tokens.delete']({ id });
      set({ tokens: get().tokens.filter((t) => t.id !== id) });
      return true;
    }, false),
  revealToken: (id) => get().attempt(() => client.api['tokens.reveal']({ id }), null),
});
