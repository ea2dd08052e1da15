// Unit tests of SessionTransaction's state machine, without a database: each move its transition table allows, and the named errors of the others.
import { describe, expect, it } from 'vitest'
import { IllegalStateChangeError, PendingRollbackError } from '../../runtime/errors.js'
import { SessionTransaction } from '../../runtime/orm/transaction/session-transaction.js'

describe('SessionTransaction', () => {
  it('starts active and lets statements run', () => {
    const transaction = new SessionTransaction()
    expect(transaction.state).toBe('active')
    expect(() => transaction.guard('flush')).not.toThrow()
  })

  it('commits to committed, then refuses statements and a second commit with IllegalStateChangeError', async () => {
    const transaction = new SessionTransaction()
    await transaction.commit()
    expect(transaction.state).toBe('committed')
    expect(() => transaction.guard('flush')).toThrow(IllegalStateChangeError)
    expect(() => transaction.guard('flush')).toThrow('Cannot flush while the session transaction is committed.')
    await expect(transaction.commit()).rejects.toThrow('Cannot commit while the session transaction is committed.')
  })

  it('stays committed when rolled back after its commit', async () => {
    const transaction = new SessionTransaction()
    await transaction.commit()
    await transaction.rollback()
    expect(transaction.state).toBe('committed')
  })

  it('rolls back to closed, where statements are refused', async () => {
    const transaction = new SessionTransaction()
    await transaction.rollback()
    expect(transaction.state).toBe('closed')
    expect(() => transaction.guard('query')).toThrow('Cannot query while the session transaction is closed.')
  })

  it('becomes deactive after a failed flush: statements raise PendingRollbackError with the cause until the rollback closes it', async () => {
    const transaction = new SessionTransaction()
    const cause = new Error('UNIQUE constraint failed')
    await transaction.fail(cause)
    expect(transaction.state).toBe('deactive')
    let raised: unknown
    try {
      transaction.guard('flush')
    } catch (error) {
      raised = error
    }
    expect(raised).toBeInstanceOf(PendingRollbackError)
    expect((raised as Error).message).toContain('UNIQUE constraint failed')
    await expect(transaction.commit()).rejects.toBeInstanceOf(PendingRollbackError)
    await transaction.rollback()
    expect(transaction.state).toBe('closed')
  })

  it('ends closed when a flush fails after a rollback began (a teardown racing the flush)', async () => {
    const transaction = new SessionTransaction()
    await transaction.rollback()
    await transaction.fail(new Error('late'))
    expect(transaction.state).toBe('closed')
  })
})
