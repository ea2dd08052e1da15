/** Opens one benchmark peer by name: the one place that lists the peers' classes, each imported only when opened (a peer's process loads its own library and no other). */
import type { BenchDb } from './db-option.js'
import type { Peer, PeerName } from './peer.js'

/** Where and how to open a peer. */
export interface PeerTarget {
  readonly db: BenchDb
  /** `file:` or `postgresql://` URL of the benchmark database. */
  readonly url: string
  /** SQLite: the file's path (the drivers that take a path). */
  readonly file?: string
  /** PostgreSQL, prismalchemy: `preparedStatements: true`. */
  readonly prepared: boolean
  /** prismalchemy: `singleStatementCommits: true`. */
  readonly singleStatementCommits: boolean
  /** prismalchemy: import the `@lazy(select)` model variant (the loading workloads need it). */
  readonly lazyModels: boolean
  /** PrismaClient on PostgreSQL: the client generated with the `relationJoins` preview feature (the joined workload needs it). */
  readonly relationJoins: boolean
}

/** Opens `name` on `target`; the caller closes it. */
export async function openPeer(name: PeerName, target: PeerTarget): Promise<Peer> {
  const { db, url, file } = target
  switch (name) {
    case 'prismalchemy': {
      const { PrismalchemyPeer } = await import('./prismalchemy-peer.js')
      const lazy = target.lazyModels ? await (await import('./lazy-models.js')).importLazyModels() : undefined
      const options = { ...(target.prepared ? { preparedStatements: true } : {}), ...(target.singleStatementCommits ? { singleStatementCommits: true } : {}) }
      return new PrismalchemyPeer(url, options, lazy)
    }
    case 'drizzle':
      if (db === 'sqlite') return new (await import('./drizzle-peer.js')).DrizzlePeer(file!)
      return new (await import('./drizzle-pg-peer.js')).DrizzlePgPeer(url)
    case 'mikro-orm':
      return (await import('./mikro-orm-peer.js')).MikroOrmPeer.open(db, { url, file })
    case 'prisma':
      return (await import('./prisma-peer.js')).PrismaPeer.open(url, db, target.relationJoins)
    case 'raw':
      if (db === 'sqlite') return new (await import('./raw-peer.js')).RawPeer(file!)
      return new (await import('./raw-pg-peer.js')).RawPgPeer(url)
  }
}
