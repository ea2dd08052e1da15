/** Maps what Prisma driver adapters throw (DriverAdapterError.cause.kind, or raw errors) onto the runtime's named errors. */
import { isDriverAdapterError } from '@prisma/driver-adapter-utils'
import {
  ConnectionLostError,
  type DatabaseAddress,
  DatabaseError,
  DatabaseLockedError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  NotNullViolationError,
  OrmError,
  SchemaMismatchError,
  TransactionAbortedError,
  UniqueViolationError,
  WriteConflictError,
} from '../errors.js'

/** What an adapter error carries in `cause` (a subset of driver-adapter-utils' `Error` union). */
interface AdapterErrorCause {
  readonly kind: string
  readonly code?: string
  readonly originalCode?: string
  /** What the database said, for kinds whose own `message` is only the kind's name. */
  readonly originalMessage?: string
  readonly table?: string
  readonly column?: string
  readonly constraint?: { readonly fields?: readonly string[]; readonly index?: string; readonly foreignKey?: unknown }
}

/** Adapter error kinds that mean the connection is gone, not that the statement was wrong. */
const CONNECTION_KINDS = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout', 'TooManyConnections'])

/**
 * SQLSTATEs after which PostgreSQL has closed the connection: class 08 (connection exception),
 * 57P01 admin_shutdown (a restart, pg_terminate_backend), 57P02 crash_shutdown, 57P03
 * cannot_connect_now (the server is starting or stopping), 57P05 idle_session_timeout.
 */
function isConnectionSqlState(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '57P05')
}

/** Messages of raw errors pg throws when the connection under a transaction died. */
const CONNECTION_MESSAGES = [
  'Client has encountered a connection error and is not queryable',
  'Connection terminated',
  'Cannot use a pool after calling end on the pool',
  'timeout exceeded when trying to connect',
]

/** True when `error` (raw or already mapped) means the connection is unusable and should not be reused. */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof ConnectionLostError) return true
  if (isDriverAdapterError(error)) {
    const cause = error.cause as AdapterErrorCause
    if (cause.kind === 'postgres') return isConnectionSqlState(cause.code)
    return CONNECTION_KINDS.has(cause.kind) && !String(cause.originalCode ?? '').startsWith('SQLITE_BUSY')
  }
  const message = error instanceof Error ? error.message : ''
  const code = (error as { code?: unknown } | null)?.code
  return CONNECTION_MESSAGES.some((text) => message.includes(text)) || code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE'
}

/** Raw socket error codes (the adapter passes these through unmapped) of a host name that does not resolve. */
const HOST_NOT_FOUND_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN'])

/**
 * The {@link DatabaseUnavailableError} for a failure to open a connection, if `error` is one: a refused
 * sign-in (wrong password, no such database, access denied) always; a server that cannot be reached
 * (refused, host not found) only before the engine ever connected, since afterwards it is a server
 * gone away mid-run (a restart), which {@link ConnectionLostError} reports. `address` is what the
 * engine's URL says; the adapter's own facts fill what it lacks.
 */
function unavailableError(error: unknown, address: DatabaseAddress, connectedBefore: boolean): DatabaseUnavailableError | undefined {
  if (error instanceof Error && error.message.includes('unsupported startup parameter')) return DatabaseUnavailableError.poolerStartupParameter(address, error)
  if (!isDriverAdapterError(error)) {
    const code = (error as { code?: unknown } | null)?.code
    if (connectedBefore || typeof code !== 'string') return undefined
    if (HOST_NOT_FOUND_CODES.has(code)) return DatabaseUnavailableError.hostNotFound(address, error)
    return code === 'ECONNREFUSED' ? DatabaseUnavailableError.unreachable(address, error) : undefined
  }
  const cause = error.cause as AdapterErrorCause & { readonly host?: string; readonly port?: number; readonly user?: string; readonly db?: string }
  switch (cause.kind) {
    case 'AuthenticationFailed':
      return DatabaseUnavailableError.authenticationFailed({ ...address, user: address.user ?? cause.user }, error)
    case 'DatabaseDoesNotExist':
      return DatabaseUnavailableError.databaseNotFound({ ...address, database: address.database ?? cause.db }, error)
    case 'DatabaseAccessDenied':
      return DatabaseUnavailableError.accessDenied({ ...address, database: address.database ?? cause.db }, error)
    case 'DatabaseNotReachable': {
      if (connectedBefore) return undefined
      const reached = { ...address, host: address.host ?? cause.host, port: address.port ?? cause.port }
      // adapter-pg maps ENOTFOUND and ECONNREFUSED to this one kind; only a refused connection has a port.
      return cause.port === undefined ? DatabaseUnavailableError.hostNotFound(reached, error) : DatabaseUnavailableError.unreachable(reached, error)
    }
    default:
      return undefined
  }
}

/**
 * Turns whatever an adapter threw into an {@link OrmError}. `address` (the server the engine's URL
 * names) and `connectedBefore` (false until the engine's first connection succeeded) let a refused
 * first connection become a {@link DatabaseUnavailableError} naming the server and the cause.
 */
export function mapAdapterError(error: unknown, sql?: string, address: DatabaseAddress = {}, connectedBefore = true): OrmError {
  if (error instanceof OrmError) return error
  const unavailable = unavailableError(error, address, connectedBefore)
  if (unavailable !== undefined) return unavailable
  if (isDriverAdapterError(error) && (error.cause as AdapterErrorCause).kind === 'TooManyConnections') return ConnectionLostError.tooManyConnections(error, sql)
  if (isConnectionError(error)) return ConnectionLostError.of(error, sql)
  if (!isDriverAdapterError(error)) return DatabaseError.fromDriver(error, sql)
  const cause = error.cause as AdapterErrorCause
  switch (cause.kind) {
    case 'UniqueConstraintViolation': {
      const constraint = cause.constraint?.index ?? cause.constraint?.fields?.join(', ') ?? 'unknown'
      return UniqueViolationError.of(constraint, cause.table, error, sql, cause.constraint?.fields)
    }
    case 'ForeignKeyConstraintViolation':
      return ForeignKeyViolationError.of(cause.constraint?.index, error, sql)
    case 'NullConstraintViolation':
      return NotNullViolationError.of(cause.constraint?.fields?.join(', ') ?? notNullColumn(cause.originalMessage), error, sql)
    case 'TableDoesNotExist':
      return cause.table === undefined ? DatabaseError.fromDriver(describe(error, cause), sql) : SchemaMismatchError.missingTable(cause.table, error, sql)
    case 'ColumnNotFound':
      return cause.column === undefined ? DatabaseError.fromDriver(describe(error, cause), sql) : missingColumn(cause.column, error, sql)
    case 'TransactionWriteConflict':
      return WriteConflictError.of(describe(error, cause), sql)
    case 'SocketTimeout':
      // Prisma's SQLite adapter reports SQLITE_BUSY as a socket timeout: it is a lock.
      return DatabaseLockedError.of(error, sql)
    case 'postgres':
      if (cause.code === '25P02') return TransactionAbortedError.of(error, sql)
      if (cause.code === '26000' || cause.code === '42P05') return DatabaseError.preparedStatementLost(describe(error, cause), sql)
      return DatabaseError.fromDriver(describe(error, cause), sql)
    default:
      return DatabaseError.fromDriver(describe(error, cause), sql)
  }
}

/**
 * The column adapters report: adapter-pg passes what follows `column` in PostgreSQL's message, unquoted
 * (`c`, `t.c` with the table or its alias, or INSERT's `c of relation T`); adapter-better-sqlite3 SQLite's `c` or `T.c`.
 */
function missingColumn(reported: string, cause: unknown, sql: string | undefined): SchemaMismatchError {
  const ofRelation = /^(.+) of relation (.+)$/.exec(reported)
  if (ofRelation !== null) return SchemaMismatchError.missingColumn(ofRelation[1], ofRelation[2], cause, sql)
  const dot = reported.lastIndexOf('.')
  if (dot < 0) return SchemaMismatchError.missingColumn(reported, undefined, cause, sql)
  return SchemaMismatchError.missingColumn(reported.slice(dot + 1), reported.slice(0, dot), cause, sql)
}

/**
 * `table.column` (as SQLite names it) from PostgreSQL's `null value in column "c" of relation "t"
 * violates not-null constraint`; adapter-pg passes no field for a NOT NULL violation.
 */
function notNullColumn(message: string | undefined): string | undefined {
  const match = /column "((?:[^"]|"")+)" of relation "((?:[^"]|"")+)"/.exec(message ?? '')
  return match === null ? undefined : `${match[2]}.${match[1]}`
}

/** An error whose message says what the database said, for kinds whose `message` is only the kind's name. */
function describe(error: Error, cause: AdapterErrorCause): Error {
  const detail = (cause as { message?: string }).message ?? cause.originalMessage
  if (detail === undefined || error.message.includes(detail)) return error
  const described = new Error(`${detail}${cause.code ? ` (SQLSTATE ${cause.code})` : ''}`, { cause: error })
  return described
}
