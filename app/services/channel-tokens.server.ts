/**
 * The Zalo channel's TokenStore on the hub's database (table channel_tokens, one row per provider
 * account). A renewal locks the row (SELECT … FOR UPDATE) for the length of the refresh, so of
 * several processes noticing an expired token at once only the first calls Zalo; the others wait,
 * then find the new tokens and use them. Zalo's refresh tokens are single-use: a second refresh
 * with the same token would fail and leave the hub without access.
 */
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client.server.ts";
import { channelTokens } from "../../db/schema/index.ts";
import type { TokenStore, ZaloTokens } from "../../integrations/channels/zalo/tokens.ts";

/** A placeholder row (version 0) holds the lock before the first tokens exist. */
const EMPTY = { accessToken: "", refreshToken: "", expiresAt: new Date(0), version: 0 };

const toTokens = (row: { accessToken: string; refreshToken: string; expiresAt: Date; version: number } | undefined): ZaloTokens | null =>
  row && row.version > 0 ? { accessToken: row.accessToken, refreshToken: row.refreshToken, expiresAt: row.expiresAt } : null;

export function dbTokenStore(db: Db, name = "zalo_oa"): TokenStore {
  const write = async (tx: Pick<Db, "insert">, tokens: ZaloTokens) => {
    await tx
      .insert(channelTokens)
      .values({ name, ...tokens, version: 1 })
      .onConflictDoUpdate({
        target: channelTokens.name,
        set: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresAt: tokens.expiresAt, version: sql`${channelTokens.version} + 1`, updatedAt: sql`now()` },
      });
  };
  return {
    async get() {
      const [row] = await db.select().from(channelTokens).where(eq(channelTokens.name, name));
      return toTokens(row);
    },
    async save(tokens) {
      await write(db, tokens);
    },
    async renew(renew) {
      return db.transaction(async (tx) => {
        await tx.insert(channelTokens).values({ name, ...EMPTY }).onConflictDoNothing();
        const [row] = await tx.select().from(channelTokens).where(eq(channelTokens.name, name)).for("update");
        const current = toTokens(row);
        const next = await renew(current);
        if (next !== current) await write(tx, next);
        return next;
      });
    },
  };
}
