// SQLAlchemy's test/orm/test_transaction.py, ported: begin/commit/rollback, savepoints, restore on rollback, recovery after a failed flush.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { inspect, InvalidRequestError, listen, PendingRollbackError, Session, sessionmaker, sql } from 'prismalchemy'
import { DIALECTS } from '../helpers/dialects.js'
import { inlineModels, type InlineModels } from '../helpers/inline-models.js'
import { capturedSql } from '../helpers/sql-recorder.js'
import { peerModels, type PeerModels } from './fixtures.js'

type Obj = any

/** SQLAlchemy's `obj in session`: pending, or in the identity map (persistent, including marked for deletion). */
function contains(session: Session, obj: Obj): boolean {
  const state = inspect(obj)
  return state.session === session && (state.pending || state.persistent)
}

/** SQLAlchemy's subtransaction recipes (a context manager each), as functions running `work` inside. */
type Recipe = (session: Session, work: () => Promise<void>) => Promise<void>

/** Recipe one: begin when not in a transaction; on error roll back and rethrow; commit only when outermost. */
const recipeOne: Recipe = async (session, work) => {
  const outermost = !session.inTransaction
  if (outermost) session.begin()
  try {
    await work()
  } catch (error) {
    if (session.inTransaction) await session.rollback()
    throw error
  }
  if (outermost && session.inTransaction) await session.commit()
}

/** Recipe two: `session.begin(work)` when not in a transaction, otherwise just run. */
const recipeTwo: Recipe = async (session, work) => {
  if (!session.inTransaction) await session.begin(async () => work())
  else await work()
}

/** Recipe three: like one, but the outermost level swallows the error after rolling back. */
const recipeThree: Recipe = async (session, work) => {
  if (!session.inTransaction) {
    session.begin()
    try {
      await work()
    } catch {
      if (session.inTransaction) await session.rollback()
      return
    }
    await session.commit()
  } else {
    try {
      await work()
    } catch (error) {
      if (session.inTransaction) await session.rollback()
      throw error
    }
  }
}

const NATURAL_PK_SCHEMA = `datasource db {
  provider = "sqlite"
}

model NamedUser {
  name String @id
  @@map("users")
}
`

describe.each(DIALECTS)('on %s', (dialect) => {
  let models: PeerModels
  let User: any
  let Address: any
  let sessions: Session[] = []

  beforeAll(async () => {
    // _LocalFixture: User.addresses with cascade "all, delete-orphan", Address.user as its backref.
    models = await peerModels('sa-transaction', dialect, { cascade: { 'User.addresses': 'delete, delete-orphan' } })
    ;({ User, Address } = models.classes)
  }, 60_000)

  afterAll(async () => {
    await models.dispose()
  })

  beforeEach(async () => {
    await models.clear()
  })

  afterEach(async () => {
    for (const session of sessions) await session.close().catch(() => undefined)
    sessions = []
  })

  function open(options: { autoflush?: boolean; expireOnCommit?: boolean } = {}, engine = models.engine): Session {
    const session = new Session({ bind: engine, ...options })
    sessions.push(session)
    return session
  }

  /** A new user and its new addresses, linked through Address.user (the collection's backref). */
  function userWith(init: { id?: number; name?: string }, ...emails: string[]): [Obj, Obj[]] {
    const user = new User(init)
    return [user, emails.map((emailAddress) => new Address({ emailAddress, user }))]
  }

  /** Every user, by id, with the e-mail addresses of its collection: what SQLAlchemy compares entities by. */
  async function usersAndAddresses(s: Session): Promise<Array<{ name: string; addresses: string[] }>> {
    const users: Obj = await s.query(User).orderBy({ id: 'asc' }).all()
    return Promise.all(users.map(async (u: Obj) => ({ name: u.name, addresses: (await u.addresses).map((a: Obj) => a.emailAddress) })))
  }

  async function namesInOrder(s: Session): Promise<string[]> {
    return (await s.query(User).orderBy({ id: 'asc' }).all()).map((u: Obj) => u.name)
  }

  async function countIn(s: Session): Promise<number> {
    return Number((await s.execute(sql`SELECT count(1) AS n FROM users`)).scalar())
  }

  describe('SessionTransactionTest', () => {
    // test_transaction.py::SessionTransactionTest::test_nested_accounting_new_items_removed
    it('removes an object added inside a released savepoint when the outer transaction rolls back', async () => {
      const s = open()
      s.begin()
      const n1: Obj = await s.beginNested()
      const u1 = new User({ name: 'u1' })
      s.add(u1)
      await n1.commit()
      expect(contains(s, u1)).toBe(true)
      await s.rollback()
      expect(contains(s, u1)).toBe(false)
    })

    // test_transaction.py::SessionTransactionTest::test_nested_accounting_deleted_items_restored
    it('restores an object deleted inside a released savepoint when the outer transaction rolls back', async () => {
      const s = open()
      s.begin()
      s.add(new User({ name: 'u1' }))
      await s.commit()
      s.begin()
      const u1: Obj = await s.query(User).first()
      const n1: Obj = await s.beginNested()
      s.delete(u1)
      await n1.commit()
      expect(contains(s, u1)).toBe(false)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
    })

    // test_transaction.py::SessionTransactionTest::test_dirty_state_transferred_deep_nesting
    // SQLAlchemy also checks each savepoint's private dirty set; the observable outcome is the restored value.
    it('restores a change flushed in an inner savepoint when the outer savepoint rolls back', async () => {
      const s = open()
      const u1 = new User({ name: 'u1' })
      s.add(u1)
      await s.commit()
      const nt1: Obj = await s.beginNested()
      const nt2: Obj = await s.beginNested()
      u1.name = 'u2'
      await s.flush()
      await nt2.commit()
      await nt1.rollback()
      expect(u1.name).toBe('u1')
    })

    // test_transaction.py::SessionTransactionTest::test_transactions_isolated
    it('does not show one session\'s flushed rows to another session', async () => {
      const s1 = open()
      const s2 = open()
      s1.add(new User({ name: 'u1' }))
      await s1.flush()
      expect(await s2.query(User).all()).toEqual([])
    })

    // test_transaction.py::SessionTransactionTest::test_nested_transaction
    it('rolls back a savepoint and commits the rest', async () => {
      const s = open()
      s.begin()
      s.add(new User({ name: 'u1' }))
      await s.flush()
      const n1: Obj = await s.beginNested()
      s.add(new User({ name: 'u2' }))
      await s.flush()
      await n1.rollback()
      await s.commit()
      expect(await s.query(User).all()).toHaveLength(1)
    })

    // test_transaction.py::SessionTransactionTest::test_nested_autotrans
    it('rolls back the whole transaction on session.rollback() inside a savepoint', async () => {
      const s = open()
      s.add(new User({ name: 'u1' }))
      await s.flush()
      await s.beginNested()
      s.add(new User({ name: 'u2' }))
      await s.flush()
      await s.rollback()
      await s.commit()
      expect(await s.query(User).all()).toHaveLength(0)
    })

    // test_transaction.py::SessionTransactionTest::test_nested_transaction_connection_add
    it('keeps only what was committed across savepoints and rollbacks', async () => {
      const s = open()
      s.begin()
      await s.beginNested()
      s.add(new User({ name: 'u1' }))
      await s.flush()
      await s.rollback()

      const u2 = new User({ name: 'u2' })
      s.add(u2)
      await s.commit()
      expect(await s.query(User).all()).toEqual([u2])
      await s.rollback()

      s.begin()
      const n1: Obj = await s.beginNested()
      s.add(new User({ name: 'u3' }))
      await n1.commit()
      await s.rollback()
      expect(await s.query(User).all()).toEqual([u2])
    })

    // test_transaction.py::SessionTransactionTest::test_mixed_transaction_close
    it('discards a savepoint\'s work on close() and commits what follows', async () => {
      const s = open()
      await s.beginNested()
      s.add(new User({ name: 'u1' }))
      await s.flush()
      await s.close()
      s.add(new User({ name: 'u2' }))
      await s.commit()
      await s.close()
      expect(await s.query(User).all()).toHaveLength(1)
    })

    // test_transaction.py::SessionTransactionTest::test_continue_flushing_on_commit
    // SQLAlchemy adds from after_flush_postexec; our nearest event is afterFlush.
    it('flushes again inside commit() what an afterFlush listener added', async () => {
      const s = open()
      const toFlush = [new User({ name: 'ed' }), new User({ name: 'jack' }), new User({ name: 'wendy' })]
      listen(s, 'afterFlush', (session: Session) => {
        if (toFlush.length > 0) session.add(toFlush.shift())
      })
      let commits = 1
      listen(s, 'afterCommit', () => {
        commits += 1
      })
      s.add(toFlush.pop())
      await s.commit()
      expect(commits).toBe(2)
      expect(Number((await s.execute(sql`SELECT count(id) AS n FROM users`)).scalar())).toBe(3)
    })

    // test_transaction.py::SessionTransactionTest::test_continue_flushing_guard
    it('gives up after 100 flushes in one commit when a listener keeps adding', async () => {
      const s = open()
      listen(s, 'afterFlush', (session: Session) => {
        session.add(new User({ name: 'x' }))
      })
      s.add(new User({ name: 'x' }))
      await expect(s.commit()).rejects.toThrow(/100/)
    })

    // test_transaction.py::SessionTransactionTest::test_no_sql_during_commit
    it('refuses SQL from an afterCommit listener', async () => {
      const s = open()
      listen(s, 'afterCommit', async (session: Session) => {
        await session.execute(sql`SELECT 1`)
      })
      s.add(new User({ name: 'u' }))
      await expect(s.commit()).rejects.toBeInstanceOf(InvalidRequestError)
    })

    // test_transaction.py::SessionTransactionTest::test_no_sql_during_rollback
    it('refuses SQL from an afterRollback listener', async () => {
      const s = open()
      await s.connection()
      listen(s, 'afterRollback', async (session: Session) => {
        await session.execute(sql`SELECT 1`)
      })
      await expect(s.rollback()).rejects.toBeInstanceOf(InvalidRequestError)
    })

    // test_transaction.py::SessionTransactionTest::test_closed_status_check
    it('refuses commit() and rollback() on a transaction already rolled back', async () => {
      const s = open()
      const trans = s.begin()
      await trans.rollback()
      expect(trans.isActive).toBe(false)
      await expect(trans.rollback()).rejects.toThrow(/closed/)
      await expect(trans.commit()).rejects.toThrow(/closed/)
    })

    /** A session whose flush failed on a duplicate primary key, with the committed user 1. */
    async function inactiveFlushedSession(): Promise<[Session, Obj]> {
      const s = open()
      const u1 = new User({ id: 1, name: 'u1' })
      s.add(u1)
      await s.commit()
      s.add(new User({ id: 1, name: 'u2' }))
      await expect(s.flush()).rejects.toThrow()
      return [s, u1]
    }

    // test_transaction.py::SessionTransactionTest::test_warning_on_using_inactive_session_new
    it('discards an object added after a failed flush when rolling back', async () => {
      const [s, u1] = await inactiveFlushedSession()
      const u2 = new User({ name: 'u2' })
      s.add(u2)
      await s.rollback()
      expect(contains(s, u2)).toBe(false)
      expect(contains(s, u1)).toBe(true)
    })

    // test_transaction.py::SessionTransactionTest::test_warning_on_using_inactive_session_dirty
    it('discards a change made after a failed flush when rolling back', async () => {
      const [s, u1] = await inactiveFlushedSession()
      u1.name = 'newname'
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(s.dirty).not.toContain(u1)
    })

    // test_transaction.py::SessionTransactionTest::test_warning_on_using_inactive_session_delete
    it('discards a delete() made after a failed flush when rolling back', async () => {
      const [s, u1] = await inactiveFlushedSession()
      s.delete(u1)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(s.deleted).not.toContain(u1)
    })

    // test_transaction.py::SessionTransactionTest::test_preserve_flush_error
    it('keeps raising PendingRollbackError with the flush error until rollback()', async () => {
      const [s] = await inactiveFlushedSession()
      for (let i = 0; i < 5; i++) {
        const error: Obj = await s.commit().then(
          () => undefined,
          (e: unknown) => e,
        )
        expect(error).toBeInstanceOf(PendingRollbackError)
        expect((error as Error).cause).toBeDefined()
      }
      await s.rollback()
      s.add(new User({ id: 5, name: 'some name' }))
      await s.commit()
    })
  })

  describe.each([
    { name: 'recipe one', recipe: recipeOne, rollsBackEarly: true },
    { name: 'recipe two', recipe: recipeTwo, rollsBackEarly: false },
    { name: 'recipe three', recipe: recipeThree, rollsBackEarly: true },
  ])('SubtransactionRecipeTest ($name)', ({ recipe, rollsBackEarly }) => {
    // test_transaction.py::SubtransactionRecipeTest::test_recipe_heavy_nesting
    it('nests the recipe around a savepoint that is rolled back', async () => {
      const s = open()
      await recipe(s, async () => {
        await s.execute(sql`INSERT INTO users (name) VALUES (${'user1'})`)
        await recipe(s, async () => {
          const savepoint: Obj = await s.beginNested()
          await s.execute(sql`INSERT INTO users (name) VALUES (${'user2'})`)
          expect(await countIn(s)).toBe(2)
          await savepoint.rollback()
        })
        await recipe(s, async () => {
          expect(await countIn(s)).toBe(1)
          await s.execute(sql`INSERT INTO users (name) VALUES (${'user3'})`)
        })
        expect(await countIn(s)).toBe(2)
      })
    })

    // test_transaction.py::SubtransactionRecipeTest::test_recipe_commit_one
    it('commits at the outermost level', async () => {
      const s = open()
      await recipe(s, async () => {
        s.add(new User({ name: 'u1' }))
      })
      await s.close()
      expect(await s.query(User).all()).toHaveLength(1)
    })

    // test_transaction.py::SubtransactionRecipeTest::test_recipe_subtransaction_on_noautocommit
    it('leaves the commit to an explicit outer transaction, which rolls back', async () => {
      const s = open()
      s.begin()
      await recipe(s, async () => {
        s.add(new User({ name: 'u1' }))
        await s.flush()
      })
      await s.rollback()
      expect(await s.query(User).all()).toHaveLength(0)
    })

    // test_transaction.py::SubtransactionRecipeTest::test_recipe_mixed_transaction_control
    it('mixes explicit begin, savepoints and the recipe', async () => {
      const s = open()
      s.begin()
      await s.beginNested()
      await recipe(s, async () => {
        s.add(new User({ name: 'u1' }))
      })
      await s.commit()
      await s.commit()
      expect(await s.query(User).all()).toHaveLength(1)
      await s.close()

      const t1 = s.begin()
      const t2: Obj = await s.beginNested()
      s.add(new User({ name: 'u2' }))
      await t2.commit()
      expect(s.inNestedTransaction).toBe(false)
      expect(t1.isActive).toBe(true)
      expect(s.inTransaction).toBe(true)
    })

    // test_transaction.py::SubtransactionRecipeTest::test_recipe_error_on_using_inactive_session_commands
    it('ends or keeps the transaction after an error, as the recipe decides', async () => {
      const s = open()
      s.begin()
      try {
        await recipe(s, async () => {
          s.add(new User({ name: 'u1' }))
          await s.flush()
          throw new Error('force rollback')
        })
      } catch {
        // expected
      }
      expect(s.inTransaction).toBe(!rollsBackEarly)
      await s.close()
      expect(s.inTransaction).toBe(false)
    })

    // test_transaction.py::SubtransactionRecipeTest::test_recipe_multi_nesting
    it('nests the recipe in itself with an inner error', async () => {
      const s = open()
      await recipe(s, async () => {
        expect(s.inTransaction).toBe(true)
        try {
          await recipe(s, async () => {
            expect(s.inTransaction).toBe(true)
            throw new Error('force rollback')
          })
        } catch {
          // expected
        }
        expect(s.inTransaction).toBe(!rollsBackEarly)
      })
      expect(s.inTransaction).toBe(false)
    })

    // test_transaction.py::SubtransactionRecipeTest::test_recipe_deactive_status_check
    it('allows commit() after a rollback() inside the recipe', async () => {
      const s = open()
      s.begin()
      await recipe(s, async () => {
        await s.rollback()
      })
      expect(s.inTransaction).toBe(false)
      await s.commit()
    })
  })

  describe('FixtureDataTest', () => {
    beforeEach(async () => {
      await models.seed()
    })

    // test_transaction.py::FixtureDataTest::test_attrs_on_rollback
    it('restores a changed column on rollback', async () => {
      const s = open()
      const u1: Obj = await s.get(User, 7)
      u1.name = 'ed'
      await s.rollback()
      expect(u1.name).toBe('jack')
    })

    // test_transaction.py::FixtureDataTest::test_commit_persistent
    it('keeps a flushed and committed change', async () => {
      const s = open()
      const u1: Obj = await s.get(User, 7)
      u1.name = 'ed'
      await s.flush()
      await s.commit()
      expect(u1.name).toBe('ed')
    })

    // test_transaction.py::FixtureDataTest::test_concurrent_commit_persistent
    // SQLAlchemy reloads the expired u1 on attribute access; here the next read of the row does (README, "Expire on commit keeps scalars readable").
    it('sees another session\'s committed change after its own commit', async () => {
      const s1 = open()
      const u1: Obj = await s1.get(User, 7)
      u1.name = 'ed'
      await s1.commit()

      const s2 = open()
      const u2: Obj = await s2.get(User, 7)
      expect(u2.name).toBe('ed')
      u2.name = 'will'
      await s2.commit()

      expect(await s1.get(User, 7)).toBe(u1)
      expect(u1.name).toBe('will')
    })
  })

  describe('CleanSavepointTest', () => {
    // test_transaction.py::CleanSavepointTest::test_rollback_ignores_clean_on_savepoint
    it('restores a change made in a savepoint on rollback, leaving clean objects alone', async () => {
      const s = open()
      const [u1, u2] = [new User({ name: 'u1' }), new User({ name: 'u2' })]
      s.addAll([u1, u2])
      await s.commit()
      void u1.name
      void u2.name
      await s.beginNested()
      u2.name = 'u2modified'
      expect(u2.name).toBe('u2modified')
      await s.rollback()
      expect(s.inTransaction).toBe(false)
      expect(inspect(u1).modified).toBe(false)
      expect(u1.name).toBe('u1')
      expect(u2.name).toBe('u2')
    })
  })

  describe('AutoExpireTest', () => {
    // test_transaction.py::AutoExpireTest::test_expunge_pending_on_rollback
    it('expunges a pending object on rollback', async () => {
      const s = open()
      const u2 = new User({ name: 'newuser' })
      s.add(u2)
      expect(contains(s, u2)).toBe(true)
      await s.rollback()
      expect(contains(s, u2)).toBe(false)
    })

    // test_transaction.py::AutoExpireTest::test_trans_pending_cleared_on_commit
    it('keeps a committed object and expunges a later pending one on rollback', async () => {
      const s = open()
      const u2 = new User({ name: 'newuser' })
      s.add(u2)
      expect(contains(s, u2)).toBe(true)
      await s.commit()
      expect(contains(s, u2)).toBe(true)
      const u3 = new User({ name: 'anotheruser' })
      s.add(u3)
      await s.rollback()
      expect(contains(s, u3)).toBe(false)
      expect(contains(s, u2)).toBe(true)
    })

    // test_transaction.py::AutoExpireTest::test_update_deleted_on_rollback
    it('unmarks an object for deletion on rollback', async () => {
      const s = open()
      const u1 = new User({ name: 'ed' })
      s.add(u1)
      await s.commit()
      s.delete(u1)
      expect(s.deleted).toContain(u1)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(s.deleted).not.toContain(u1)
    })

    // test_transaction.py::AutoExpireTest::test_trans_deleted_cleared_on_rollback
    it('keeps an object whose deletion was committed out of the session after rollback', async () => {
      const s = open()
      const u1 = new User({ name: 'ed' })
      s.add(u1)
      await s.commit()
      s.delete(u1)
      await s.commit()
      expect(contains(s, u1)).toBe(false)
      await s.rollback()
      expect(contains(s, u1)).toBe(false)
    })

    // test_transaction.py::AutoExpireTest::test_update_deleted_on_rollback_cascade
    // Skipped: difference: @cascade(delete) runs at flush, not at delete(), since loading is async (README: Differences from SQLAlchemy).
    it.skip('marks the cascaded addresses deleted with their user, and unmarks both on rollback', async () => {
      const s = open()
      const [u1, addresses] = userWith({ name: 'ed' }, 'foo')
      s.addAll([u1, ...addresses])
      await s.commit()
      s.delete(u1)
      expect(s.deleted).toContain(u1)
      const [a1] = await u1.addresses
      expect(s.deleted).toContain(a1)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(s.deleted).not.toContain(u1)
      expect(s.deleted).not.toContain(a1)
    })

    // test_transaction.py::AutoExpireTest::test_update_deleted_on_rollback_orphan
    it('restores an orphan deleted at flush, and its place in the collection, on rollback', async () => {
      const s = open()
      const [u1, addresses] = userWith({ name: 'ed' }, 'foo')
      s.addAll([u1, ...addresses])
      await s.commit()
      const list: Obj = await u1.addresses
      const a1 = list[0]
      list.splice(0, 1)
      await s.flush()
      expect(await s.query(Address).filterBy({ emailAddress: 'foo' }).all()).toEqual([])
      await s.rollback()
      expect(s.deleted).not.toContain(a1)
      expect(await u1.addresses).toEqual([a1])
    })

    // test_transaction.py::AutoExpireTest::test_commit_pending
    it('keeps a pending object\'s values through flush and commit', async () => {
      const s = open()
      const u1 = new User({ name: 'newuser' })
      s.add(u1)
      await s.flush()
      await s.commit()
      expect(u1.name).toBe('newuser')
    })

    // test_transaction.py::AutoExpireTest::test_concurrent_commit_pending
    // As in FixtureDataTest: the next read of the row stands for SQLAlchemy's reload on attribute access.
    it('sees another session\'s committed change to an object it inserted', async () => {
      const s1 = open()
      const u1 = new User({ name: 'edward' })
      s1.add(u1)
      await s1.commit()
      const s2 = open()
      const u2: Obj = await s2.query(User).filterBy({ name: 'edward' }).one()
      u2.name = 'will'
      await s2.commit()
      expect(await s1.get(User, u1.id)).toBe(u1)
      expect(u1.name).toBe('will')
    })
  })

  describe('RollbackRecoverTest', () => {
    // test_transaction.py::RollbackRecoverTest::test_pk_violation
    it('recovers from a primary-key violation at commit with rollback, then commits the retried changes', async () => {
      const s = open()
      const [u1, [a1]] = userWith({ id: 1, name: 'ed' }, 'foo')
      s.addAll([u1, a1])
      await s.commit()

      const [u2, [a2]] = userWith({ id: 1, name: 'jack' }, 'bar')
      u1.name = 'edward'
      a1.emailAddress = 'foober'
      s.add(u2)
      s.add(a2)
      await expect(s.commit()).rejects.toThrow()
      await expect(s.commit()).rejects.toBeInstanceOf(InvalidRequestError)
      await s.rollback()
      expect(contains(s, u2)).toBe(false)
      expect(contains(s, a2)).toBe(false)
      expect(contains(s, u1)).toBe(true)
      expect(contains(s, a1)).toBe(true)
      expect(u1.name).toBe('ed')
      expect(a1.emailAddress).toBe('foo')
      u1.name = 'edward'
      a1.emailAddress = 'foober'
      await s.commit()
      expect(await usersAndAddresses(s)).toEqual([{ name: 'edward', addresses: ['foober'] }])
    })

    // test_transaction.py::RollbackRecoverTest::test_pk_violation_with_savepoint
    it('recovers from a primary-key violation inside a savepoint, keeping the changes made before it', async () => {
      const s = open()
      const [u1, [a1]] = userWith({ id: 1, name: 'ed' }, 'foo')
      s.addAll([u1, a1])
      await s.commit()

      const [u2, [a2]] = userWith({ id: 1, name: 'jack' }, 'bar')
      u1.name = 'edward'
      a1.emailAddress = 'foober'
      const nt1: Obj = await s.beginNested()
      s.add(u2)
      s.add(a2)
      await expect(s.commit()).rejects.toThrow()
      await expect(s.commit()).rejects.toBeInstanceOf(InvalidRequestError)
      await nt1.rollback()
      expect(contains(s, u2)).toBe(false)
      expect(contains(s, a2)).toBe(false)
      expect(contains(s, u1)).toBe(true)
      expect(contains(s, a1)).toBe(true)
      await s.commit()
      expect(await usersAndAddresses(s)).toEqual([{ name: 'edward', addresses: ['foober'] }])
    })
  })

  describe('SavepointTest', () => {
    // test_transaction.py::SavepointTest::test_savepoint_rollback
    it('restores changes and removes inserts made after a savepoint when it rolls back', async () => {
      const s = open()
      const [u1, u2] = [new User({ name: 'ed' }), new User({ name: 'jack' })]
      s.addAll([u1, u2])
      const nt1: Obj = await s.beginNested()
      u1.name = 'edward'
      u2.name = 'jackward'
      s.addAll([new User({ name: 'wendy' }), new User({ name: 'foo' })])
      expect(await namesInOrder(s)).toEqual(['edward', 'jackward', 'wendy', 'foo'])
      await nt1.rollback()
      expect(u1.name).toBe('ed')
      expect(u2.name).toBe('jack')
      expect(await namesInOrder(s)).toEqual(['ed', 'jack'])
      await s.commit()
      expect(u1.name).toBe('ed')
      expect(u2.name).toBe('jack')
      expect(await namesInOrder(s)).toEqual(['ed', 'jack'])
    })

    // test_transaction.py::SavepointTest::test_savepoint_delete
    it('commits a delete made inside a savepoint', async () => {
      const s = open()
      const u1 = new User({ name: 'ed' })
      s.add(u1)
      await s.commit()
      expect(await s.query(User).filterBy({ name: 'ed' }).count()).toBe(1)
      await s.beginNested()
      s.delete(u1)
      await s.commit()
      expect(await s.query(User).filterBy({ name: 'ed' }).count()).toBe(0)
      await s.commit()
    })

    // test_transaction.py::SavepointTest::test_savepoint_commit
    it('keeps changes made in a released savepoint, readable with one statement for the query', async () => {
      const s = open()
      const [u1, u2] = [new User({ name: 'ed' }), new User({ name: 'jack' })]
      s.addAll([u1, u2])
      const nt1: Obj = await s.beginNested()
      u1.name = 'edward'
      u2.name = 'jackward'
      s.addAll([new User({ name: 'wendy' }), new User({ name: 'foo' })])
      expect(await namesInOrder(s)).toEqual(['edward', 'jackward', 'wendy', 'foo'])
      await nt1.commit()
      const statements: Obj = await capturedSql(models.engine, async () => {
        expect(u1.name).toBe('edward')
        expect(u2.name).toBe('jackward')
        expect(await namesInOrder(s)).toEqual(['edward', 'jackward', 'wendy', 'foo'])
      })
      expect(statements).toHaveLength(1)
      await s.commit()
      expect(await namesInOrder(s)).toEqual(['edward', 'jackward', 'wendy', 'foo'])
    })

    // test_transaction.py::SavepointTest::test_savepoint_rollback_collections
    it('removes a user and addresses added after a savepoint, keeping the collection change made before it', async () => {
      const s = open()
      const [u1, a] = userWith({ name: 'ed' }, 'foo')
      s.addAll([u1, ...a])
      await s.commit()

      u1.name = 'edward'
      ;(await u1.addresses).push(new Address({ emailAddress: 'bar' }))
      const nt1: Obj = await s.beginNested()
      const [u2, b] = userWith({ name: 'jack' }, 'bat')
      s.addAll([u2, ...b])
      expect(await usersAndAddresses(s)).toEqual([
        { name: 'edward', addresses: ['foo', 'bar'] },
        { name: 'jack', addresses: ['bat'] },
      ])
      await nt1.rollback()
      expect(await usersAndAddresses(s)).toEqual([{ name: 'edward', addresses: ['foo', 'bar'] }])
      await s.commit()
      expect(await usersAndAddresses(s)).toEqual([{ name: 'edward', addresses: ['foo', 'bar'] }])
    })

    // test_transaction.py::SavepointTest::test_savepoint_commit_collections
    it('keeps users and addresses added in a released savepoint', async () => {
      const s = open()
      const [u1, a] = userWith({ name: 'ed' }, 'foo')
      s.addAll([u1, ...a])
      await s.commit()

      u1.name = 'edward'
      ;(await u1.addresses).push(new Address({ emailAddress: 'bar' }))
      await s.beginNested()
      const [u2, b] = userWith({ name: 'jack' }, 'bat')
      s.addAll([u2, ...b])
      const expected = [
        { name: 'edward', addresses: ['foo', 'bar'] },
        { name: 'jack', addresses: ['bat'] },
      ]
      expect(await usersAndAddresses(s)).toEqual(expected)
      await s.commit()
      expect(await usersAndAddresses(s)).toEqual(expected)
      await s.commit()
      expect(await usersAndAddresses(s)).toEqual(expected)
    })

    // test_transaction.py::SavepointTest::test_expunge_pending_on_rollback
    it('expunges an object added in a savepoint when the session rolls back', async () => {
      const s = open()
      await s.beginNested()
      const u2 = new User({ name: 'newuser' })
      s.add(u2)
      expect(contains(s, u2)).toBe(true)
      await s.rollback()
      expect(contains(s, u2)).toBe(false)
    })

    // test_transaction.py::SavepointTest::test_update_deleted_on_rollback
    it('unmarks an object deleted in a savepoint when the session rolls back', async () => {
      const s = open()
      const u1 = new User({ name: 'ed' })
      s.add(u1)
      await s.commit()
      await s.beginNested()
      s.delete(u1)
      expect(s.deleted).toContain(u1)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(s.deleted).not.toContain(u1)
    })
  })

  describe('AccountingFlagsTest', () => {
    // test_transaction.py::AccountingFlagsTest::test_no_expire_on_commit
    // SQLAlchemy reloads on attribute access after expire_all(); here a query returning the row reloads it.
    it('keeps values after commit with expireOnCommit off, and reloads them after expireAll()', async () => {
      const s = open({ expireOnCommit: false })
      const u1 = new User({ name: 'ed' })
      s.add(u1)
      await s.commit()
      await s.execute(sql`UPDATE users SET name = ${'edward'} WHERE name = ${'ed'}`)
      expect(u1.name).toBe('ed')
      s.expireAll()
      await s.query(User).all()
      expect(u1.name).toBe('edward')
    })
  })

  describe('ContextManagerPlusFutureTest', () => {
    // test_transaction.py::ContextManagerPlusFutureTest::test_contextmanager_nested_rollback
    it('rethrows the database error from a savepoint block, and a later block works', async () => {
      const s = open()
      const error: Obj = await s
        .beginNested(async () => {
          s.add(new User())
          await s.flush()
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(error).toBeDefined()
      expect(error).not.toBeInstanceOf(InvalidRequestError)
      await s.beginNested(async () => {
        s.add(new User({ name: 'u1' }))
      })
      expect(await s.query(User).count()).toBe(1)
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_contextmanager_commit
    it('commits a begin() block', async () => {
      const s = open()
      await s.begin(async () => {
        s.add(new User({ name: 'u1' }))
      })
      await s.rollback()
      expect(await s.query(User).count()).toBe(1)
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_contextmanager_rollback
    it('rolls back a begin() block whose commit fails, and a later block commits', async () => {
      const s = open()
      await expect(
        s.begin(async () => {
          s.add(new User())
        }),
      ).rejects.toThrow()
      expect(await s.query(User).count()).toBe(0)
      await s.close()
      await s.begin(async () => {
        s.add(new User({ name: 'u1' }))
      })
      expect(await s.query(User).count()).toBe(1)
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_explicit_begin
    it('is in a transaction inside a begin() block and not after it', async () => {
      const s = open()
      await s.begin(async () => {
        expect(s.inTransaction).toBe(true)
        await s.connection()
      })
      expect(s.inTransaction).toBe(false)
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_no_double_begin_explicit
    it('refuses begin() inside a begun transaction', () => {
      const s = open()
      s.begin()
      expect(() => s.begin()).toThrow(expect.objectContaining({ code: 'transaction_already_begun' }))
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_rollback_is_global
    it('rolls back the whole transaction from inside a savepoint', async () => {
      const s = open()
      s.begin()
      await s.execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'n1'})`)
      await s.beginNested()
      await s.execute(sql`INSERT INTO users (id, name) VALUES (${2}, ${'n2'})`)
      await s.execute(sql`INSERT INTO users (id, name) VALUES (${3}, ${'n3'})`)
      expect(await countIn(s)).toBe(3)
      await s.rollback()
      expect(s.inTransaction).toBe(false)
      expect(await countIn(s)).toBe(0)
      await s.commit()
      expect(s.inTransaction).toBe(false)
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_session_as_ctx_manager_one
    it('rolls back raw inserts when the session is closed without commit', async () => {
      const s = open()
      expect(s.inTransaction).toBe(false)
      const conn: Obj = await s.connection()
      await conn.execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
      expect((await conn.execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
      expect(s.inTransaction).toBe(true)
      await s.close()
      expect(s.inTransaction).toBe(false)
      expect((await (await s.connection()).execute(sql`SELECT id, name FROM users`)).rows).toEqual([])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_begin_context_manager
    it('commits raw statements run inside a begin() block', async () => {
      const s = open()
      await s.begin(async () => {
        await (await s.connection()).execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
        expect((await s.execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
      })
      expect((await s.execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_sessionmaker_begin_context_manager
    it('commits raw statements run inside sessionmaker.begin()', async () => {
      const factory = sessionmaker({ bind: models.engine })
      await factory.begin(async (s) => {
        await (await s.connection()).execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
        expect((await s.execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
      })
      expect((await open().execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_begin_context_manager_rollback_trans
    it('rolls back a begin() block that throws', async () => {
      const s = open()
      await expect(
        s.begin(async () => {
          await s.execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
          expect((await s.execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
          throw new Error('force rollback')
        }),
      ).rejects.toThrow('force rollback')
      expect((await s.execute(sql`SELECT id, name FROM users`)).rows).toEqual([])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_begin_context_manager_rollback_outer
    it('keeps a begin() block committed when the code after it throws', async () => {
      const s = open()
      try {
        await s.begin(async () => {
          await s.execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
        })
        throw new Error('force rollback')
      } catch {
        await s.close()
      }
      expect((await s.execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_sessionmaker_begin_context_manager_rollback_trans
    it('rolls back a sessionmaker.begin() block that throws', async () => {
      const factory = sessionmaker({ bind: models.engine })
      await expect(
        factory.begin(async (s) => {
          await s.execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
          throw new Error('force rollback')
        }),
      ).rejects.toThrow('force rollback')
      expect((await open().execute(sql`SELECT id, name FROM users`)).rows).toEqual([])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_sessionmaker_begin_context_manager_rollback_outer
    it('keeps a sessionmaker.begin() block committed when the code after it throws', async () => {
      const factory = sessionmaker({ bind: models.engine })
      try {
        await factory.begin(async (s) => {
          await s.execute(sql`INSERT INTO users (id, name) VALUES (${1}, ${'user1'})`)
        })
        throw new Error('force rollback')
      } catch {
        // expected
      }
      expect((await open().execute(sql`SELECT id, name FROM users`)).rows).toEqual([{ id: 1, name: 'user1' }])
    })

    // test_transaction.py::ContextManagerPlusFutureTest::test_interrupt_ctxmanager_ops
    const ops = ['add', 'modify', 'delete', 'begin'] as const
    it.each(ops.flatMap((op) => [true, false].flatMap((rollback) => [true, false].map((expireOnCommit) => ({ op, rollback, expireOnCommit })))))(
      'refuses $op inside a begin() block whose transaction was ended (rollback=$rollback, expireOnCommit=$expireOnCommit)',
      async ({ op, rollback, expireOnCommit }) => {
        const s = open({ expireOnCommit })
        let u1!: Obj
        let caught: unknown
        await s.begin(async () => {
          u1 = new User({ id: 7, name: 'u1' })
          s.add(u1)
        })
        const outcome = s.begin(async () => {
          void u1.name
          s.add(new User({ id: 8, name: 'u1' }))
          await s.flush()
          if (rollback) await s.rollback()
          else await s.commit()
          try {
            if (op === 'add') s.add(new User({ id: 9, name: 'u2' }))
            else if (op === 'begin') s.begin()
            else if (op === 'modify') u1.name = 'newname'
            else s.delete(u1)
          } catch (error) {
            caught = error
          }
        })
        await outcome.catch(() => undefined)
        expect(caught).toBeInstanceOf(InvalidRequestError)
        expect(String((caught as Error).message)).toMatch(/closed transaction inside/)
      },
    )

    // test_transaction.py::ContextManagerPlusFutureTest::test_rollback_exception_in_ctxmanager_error_message
    it('names the flush error when the session is used again inside the failed begin() block', async () => {
      const s = open()
      let flushError: unknown
      let again: unknown
      const outcome: Obj = await s
        .begin(async () => {
          s.add(new User())
          try {
            await s.flush()
          } catch (error) {
            flushError = error
          }
          again = await s.connection().then(
            () => undefined,
            (e: unknown) => e,
          )
          throw flushError
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        )
      expect(flushError).toBeDefined()
      expect(outcome).toBe(flushError)
      expect(again).toBeInstanceOf(InvalidRequestError)
      expect(String((again as Error).message)).toContain(String((flushError as Error).message))
    })
  })

  describe('TransactionFlagsTest', () => {
    // test_transaction.py::TransactionFlagsTest::test_in_transaction
    it('reports the transaction and savepoint flags through begin, a rolled-back savepoint and commit', async () => {
      const s = open()
      expect(s.inTransaction).toBe(false)
      const trans = s.begin()
      expect(s.inTransaction).toBe(true)
      expect(trans.isActive).toBe(true)
      const n1: Obj = await s.beginNested()
      expect(s.inTransaction).toBe(true)
      expect(s.inNestedTransaction).toBe(true)
      expect(n1.isActive).toBe(true)
      await n1.rollback()
      expect(s.inNestedTransaction).toBe(false)
      expect(trans.isActive).toBe(true)
      expect(s.inTransaction).toBe(true)
      await s.commit()
      expect(s.inTransaction).toBe(false)
      expect(trans.isActive).toBe(false)
    })

    // test_transaction.py::TransactionFlagsTest::test_in_transaction_nesting
    it('reports the flags through two nested savepoints rolled back one by one', async () => {
      const s = open()
      expect(s.inTransaction).toBe(false)
      const trans = s.begin()
      expect(s.inTransaction).toBe(true)
      const sp1: Obj = await s.beginNested()
      expect(s.inNestedTransaction).toBe(true)
      const sp2: Obj = await s.beginNested()
      expect(s.inTransaction).toBe(true)
      expect(s.inNestedTransaction).toBe(true)
      await sp2.rollback()
      expect(s.inTransaction).toBe(true)
      expect(s.inNestedTransaction).toBe(true)
      expect(sp1.isActive).toBe(true)
      await sp1.rollback()
      expect(s.inTransaction).toBe(true)
      expect(s.inNestedTransaction).toBe(false)
      expect(trans.isActive).toBe(true)
      await s.rollback()
      expect(s.inTransaction).toBe(false)
    })
  })

  describe('NaturalPKRollbackTest', () => {
    let natural: InlineModels
    let NamedUser: any

    beforeAll(async () => {
      natural = await inlineModels('sa-natural-pk', NATURAL_PK_SCHEMA, dialect)
      ;({ NamedUser } = natural.classes)
    }, 60_000)

    afterAll(async () => {
      await natural.dispose()
    })

    beforeEach(async () => {
      await natural.database.execute('DELETE FROM "users";')
    })

    const openNatural = (): Session => open({}, natural.engine)

    /** The object the session answers for `name` (SQLAlchemy reads its identity map directly; get() is our way in). */
    async function held(s: Session, name: string): Promise<unknown> {
      return s.get(NamedUser, name)
    }

    // test_transaction.py::NaturalPKRollbackTest::test_rollback_recover
    it('drops the failed object and restores the deleted one after a flush hits a duplicate key', async () => {
      const s = openNatural()
      const [u1, u2, u3] = ['u1', 'u2', 'u3'].map((name) => new NamedUser({ name }))
      s.addAll([u1, u2, u3])
      await s.commit()
      s.delete(u2)
      const u4 = new NamedUser({ name: 'u2' })
      s.add(u4)
      await s.flush()
      const u5 = new NamedUser({ name: 'u3' })
      s.add(u5)
      await expect(s.flush()).rejects.toThrow()
      expect(contains(s, u5)).toBe(false)
      expect(s.deleted).not.toContain(u2)
      await s.rollback()
    })

    // test_transaction.py::NaturalPKRollbackTest::test_key_replaced_by_update
    it('gives both keys back to their objects after rolling back a delete and a key change onto it', async () => {
      const s = openNatural()
      const [u1, u2] = [new NamedUser({ name: 'u1' }), new NamedUser({ name: 'u2' })]
      s.addAll([u1, u2])
      await s.commit()
      s.delete(u1)
      await s.flush()
      u2.name = 'u1'
      await s.flush()
      expect(contains(s, u1)).toBe(false)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(contains(s, u2)).toBe(true)
      expect(await held(s, 'u1')).toBe(u1)
      expect(await held(s, 'u2')).toBe(u2)
    })

    // test_transaction.py::NaturalPKRollbackTest::test_key_replaced_by_update_nested
    it('drops an object inserted and renamed in a released savepoint when the session rolls back', async () => {
      const s = openNatural()
      const u1 = new NamedUser({ name: 'u1' })
      s.add(u1)
      await s.commit()
      let u2!: Obj
      await s.beginNested(async () => {
        u2 = new NamedUser({ name: 'u2' })
        s.add(u2)
        await s.flush()
        u2.name = 'u3'
      })
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(contains(s, u2)).toBe(false)
      u1.name = 'u5'
      await s.commit()
    })

    // test_transaction.py::NaturalPKRollbackTest::test_multiple_key_replaced_by_update
    it('gives every key back after rolling back two deletes and two key changes', async () => {
      const s = openNatural()
      const [u1, u2, u3] = ['u1', 'u2', 'u3'].map((name) => new NamedUser({ name }))
      s.addAll([u1, u2, u3])
      await s.commit()
      s.delete(u1)
      s.delete(u2)
      await s.flush()
      u3.name = 'u1'
      await s.flush()
      u3.name = 'u2'
      await s.flush()
      await s.rollback()
      for (const u of [u1, u2, u3]) expect(contains(s, u)).toBe(true)
      expect(await held(s, 'u1')).toBe(u1)
      expect(await held(s, 'u2')).toBe(u2)
      expect(await held(s, 'u3')).toBe(u3)
    })

    // test_transaction.py::NaturalPKRollbackTest::test_key_replaced_by_oob_insert
    // Skipped: difference: get() of a key deleted in this transaction answers null without SQL until the transaction ends (README: Ported tests that do not hold).
    it.skip('gives the key back to the deleted object after rolling back a raw insert of the same key', async () => {
      const s = openNatural()
      const u1 = new NamedUser({ name: 'u1' })
      s.add(u1)
      await s.commit()
      s.delete(u1)
      await s.flush()
      await s.execute(sql`INSERT INTO users (name) VALUES (${'u1'})`)
      const u2: Obj = await s.get(NamedUser, 'u1')
      expect(contains(s, u1)).toBe(false)
      await s.rollback()
      expect(contains(s, u1)).toBe(true)
      expect(contains(s, u2)).toBe(false)
      expect(await held(s, 'u1')).toBe(u1)
    })
  })
})
