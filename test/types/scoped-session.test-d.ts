// Type test: db.session (ScopedSession) proxies every public member of Session, as SQLAlchemy's scoped_session does.
import type { ScopedSession, Session } from 'prismalchemy'
import { expectTypeOf, test } from 'vitest'

/** Session members marked @internal: the runtime's own plumbing, not part of the user API. */
type InternalMembers =
  | 'lazyLoad'
  | 'collections'
  | 'newStates'
  | 'dirtyStates'
  | 'deletedStates'
  | 'routing'
  | 'markModified'
  | 'executeRows'
  | 'write'
  | 'writeCompiled'
  | 'dialectOf'
  | 'loadObjects'
  | 'terminate'
  | 'refreshStale'
  | 'readsUncommitted'
  | 'noteUncommittedRead'
  | 'forgetUncommittedRead'
  | 'streamRows'
  | 'bulkTransaction'
  | 'batchLoad'
  | 'autoflushIfDue'


test('every public Session member is on db.session', () => {
  expectTypeOf<Exclude<Exclude<keyof Session, InternalMembers>, keyof ScopedSession>>().toEqualTypeOf<never>()
})

test('the internal list names real Session members', () => {
  expectTypeOf<Exclude<InternalMembers, keyof Session>>().toEqualTypeOf<never>()
})
