/** UnitOfWork: one flush, start to end: plan it, write its statements bind by bind and table by table in FK order, and say what was written (a FlushResult). */
import { cascadeDeletes, needsDeleteCascade } from './cascades.js'
import { FlushJournal } from './flush-journal.js'
import { addCascadedDeletes, collectChanges, planFlush, type FlushPlan } from './flush-plan.js'
import type { FlushResult } from './flush-result.js'
import { ForeignKeySync } from './foreign-key-sync.js'
import { loneWriteOf } from './lone-write.js'
import { Persister } from './persistence.js'
import type { SessionTransaction } from '../transaction/session-transaction.js'
import type { FlushContext } from '../session-context.js'

/**
 * One flush. Changes to objects made while writing are journaled, so a failed flush leaves every
 * object exactly as it was before (the database transaction is rolled back by the session).
 * @internal
 */
export class UnitOfWork {
  private readonly journal = new FlushJournal()

  /**
   * `endsTransaction`: the commit follows this flush with nothing in between, so a flush of exactly
   * one statement may send it alone, in autocommit (see `loneWriteOf`).
   */
  constructor(
    private readonly ctx: FlushContext,
    private readonly transaction: SessionTransaction,
    private readonly endsTransaction = false,
  ) {}

  /**
   * Writes everything and returns what was written, for the session to move objects to their new
   * states (`applyFlushResult`); a failure undoes the flush's changes to objects first. Without
   * delete cascades to load or listeners to call, the first statement is built before this returns
   * its promise: what is written is what the objects held when the flush was called.
   */
  async run(): Promise<FlushResult> {
    const ctx = this.ctx
    const changes = collectChanges(ctx)
    // @cascade(delete) may load related objects: the only await before the first statement.
    if (needsDeleteCascade(changes.deleting)) addCascadedDeletes(ctx, changes, await cascadeDeletes(ctx, changes.deleting))
    const plan = planFlush(ctx, changes)
    const keys = new ForeignKeySync(ctx, this.transaction, this.journal, plan.inserting)
    const persister = new Persister(ctx, this.journal, keys)
    let lone = this.endsTransaction ? loneWriteOf(ctx, plan) : undefined
    // Only where the object's database allows it (`EngineOptions.singleStatementCommits`).
    if (lone !== undefined && !ctx.routing.routeOf(lone.mapper).primary.singleStatementCommits) lone = undefined
    if (lone !== undefined) this.transaction.expectLoneWrite()
    try {
      // One bind after the other, always in the same order (default first, then by key), so that
      // sessions writing to several databases take their write locks in one order.
      const routing = ctx.routing
      for (const route of routing.routes()) {
        const mappers = plan.order.filter((mapper) => routing.routeOf(mapper) === route)
        for (const mapper of mappers) {
          const toInsert = plan.inserts.get(mapper)
          if (toInsert) await persister.insertAll(mapper, toInsert)
          const toSwitch = plan.switching.get(mapper)
          if (toSwitch) for (const state of toSwitch) await persister.switchRow(state, plan.switches.get(state)!)
          const toUpdate = plan.updates.get(mapper)
          if (toUpdate) {
            const listeners = persister.beforeUpdate(mapper, toUpdate)
            if (listeners !== undefined) await listeners
            for (const state of toUpdate) await persister.update(state)
          }
        }
        // Foreign keys that close a cycle, now that the rows they point at exist.
        if (keys.hasPostUpdates) await keys.writePostUpdates()
        // Many-to-many links once both sides have their keys, before any row they point at is deleted.
        if (ctx.collections.hasLinkChanges) {
          await ctx.collections.writeLinks(
            (relationship, node) => ctx.write(relationship.parent, node),
            (relationship) => routing.routeOf(relationship.parent) === route,
          )
        }
        // A foreign key that breaks a cycle points at a table deleted earlier: set it to NULL first.
        for (const mapper of mappers) {
          const toDelete = plan.deletes.get(mapper)
          if (toDelete && mapper.postUpdates.length > 0) await keys.releaseKeysInto(mapper, toDelete, mapper.postUpdates, plan.deletingSet)
        }
        for (const mapper of mappers.reverse()) {
          const toDelete = plan.deletes.get(mapper)
          if (toDelete) await persister.deleteAll(mapper, toDelete)
        }
      }
    } catch (error) {
      if (lone !== undefined) this.transaction.settleLoneWrite(undefined)
      this.journal.undo()
      throw error
    }
    if (lone !== undefined) this.transaction.settleLoneWrite(lone)
    return this.resultOf(plan)
  }

  /** What the statements did, once every one succeeded. */
  private resultOf(plan: FlushPlan): FlushResult {
    const journal = this.journal
    return {
      inserted: [...journal.inserted, ...plan.switches.keys()],
      updated: journal.updated,
      deleted: plan.switches.size > 0 ? plan.deleting.filter((state) => !plan.replaced.has(state)) : plan.deleting,
      switches: plan.switches,
      written: journal.written,
      dirtyAtStart: plan.dirtyAtStart,
      deleting: plan.deletingSet,
    }
  }
}
