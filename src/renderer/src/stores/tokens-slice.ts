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
  async loadTokens() {
    try {
      const { tokens } = await client.api['tokens.list']({ include_expired: get().includeExpired });
      set({ tokens, tokensLoaded: true });
    } catch (error) {
      get().reportError(error);
    }
  },
  async setIncludeExpired(includeExpired) {
    set({ includeExpired });
    await get().loadTokens();
  },
  async createToken(input) {
    try {
      const created = await client.api['tokens.create'](input);
      await get().loadTokens();
      return created;
    } catch (error) {
      get().reportError(error);
      return null;
    }
  },
  async revokeToken(id) {
    try {
      const token = await client.api['tokens.revoke']({ id });
      set({ tokens: get().tokens.map((t) => (t.id === id ? token : t)) });
      get().notify('info', `Token ${token.prefix}… revoked.`);
      return true;
    } catch (error) {
      return get().reportError(error);
    }
  },
  async deleteToken(id) {
    try {
      await client.api['tokens.delete']({ id });
      set({ tokens: get().tokens.filter((t) => t.id !== id) });
      return true;
    } catch (error) {
      return get().reportError(error);
    }
  },
  async revealToken(id) {
    try {
      return await client.api['tokens.reveal']({ id });
    } catch (error) {
      get().reportError(error);
      return null;
    }
  },
});
