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
  PoolTimeoutError,
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

/**
 * What adapter-mariadb reports for an error it has no kind for (`kind: 'mysql'`): the server's or the
 * mariadb driver's error number, its message, its SQLSTATE, and the text of the driver error's own
 * cause (why a pool could not open a connection).
 */
interface MysqlErrorCause {
  readonly kind: 'mysql'
  readonly code: number
  readonly message: string
  readonly state: string
  readonly cause?: string
}

/**
 * mariadb driver error numbers of a connection that is gone: the socket closed under a query (45009),
 * a command sent on a closed connection (45013), a pool used after it was ended (45027).
 */
const MYSQL_CONNECTION_CODES = new Set([45009, 45013, 45027])

/** The mariadb pool found no connection within `acquireTimeout` (its `cause` says why none could be opened, when none could). */
const MYSQL_POOL_TIMEOUT = 45028

/** True when a MySQL error means the connection is gone: SQLSTATE class 08, a closed socket, or a pool that could not open one. */
function isMysqlConnectionLost(cause: MysqlErrorCause): boolean {
  return cause.state.startsWith('08') || MYSQL_CONNECTION_CODES.has(cause.code) || (cause.code === MYSQL_POOL_TIMEOUT && cause.cause !== undefined)
}

/** True when `error` is adapter-mariadb's pool timeout: the pool waited already, so nothing should wait for it again. */
export function isMysqlPoolTimeout(error: unknown): boolean {
  return isDriverAdapterError(error) && (error.cause as { kind: string; code?: unknown }).kind === 'mysql' && (error.cause as MysqlErrorCause).code === MYSQL_POOL_TIMEOUT
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
    if (cause.kind === 'mysql') return isMysqlConnectionLost(cause as unknown as MysqlErrorCause)
    return CONNECTION_KINDS.has(cause.kind) && !String(cause.originalCode ?? '').startsWith('SQLITE_BUSY')
  }
  const message = error instanceof Error ? error.message : ''
  const { code, sqlState } = (error ?? {}) as { code?: unknown; sqlState?: unknown }
  // The mariadb driver's own errors (a connection opened outside the adapter) give SQLSTATE class 08 for a connection that failed or died.
  const connectionState = typeof sqlState === 'string' && sqlState.startsWith('08')
  return CONNECTION_MESSAGES.some((text) => message.includes(text)) || code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'EPIPE' || connectionState
}

/** Raw socket error codes (the adapter passes these through unmapped) of a host name that does not resolve. */
const HOST_NOT_FOUND_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN'])

/**
 * The {@link DatabaseUnavailableError} for a refused connection to MySQL/MariaDB, from the server's
 * error number (`errno`) or the socket's error code (`code`): a refused sign-in (1045 bad password,
 * 1698 no password login, 1049 unknown database, 1044 no privilege on it) always; a server that cannot
 * be reached only before the engine ever connected (see {@link unavailableError}).
 */
function mysqlUnavailable(errno: number | undefined, code: string | undefined, address: DatabaseAddress, error: unknown, connectedBefore: boolean): DatabaseUnavailableError | undefined {
  switch (errno) {
    case 1045:
    case 1698:
      return DatabaseUnavailableError.authenticationFailed(address, error)
    case 1049:
      return DatabaseUnavailableError.databaseNotFound(address, error, 'mysql')
    case 1044:
      return DatabaseUnavailableError.accessDenied(address, error, 'mysql')
  }
  if (connectedBefore || code === undefined) return undefined
  if (HOST_NOT_FOUND_CODES.has(code)) return DatabaseUnavailableError.hostNotFound(address, error)
  return code === 'ECONNREFUSED' ? DatabaseUnavailableError.unreachable(address, error) : undefined
}

/**
 * Why a connection to MySQL/MariaDB could not be opened: the server's error number (`errno`) or the
 * socket's error code (`code`). Read from the mariadb driver's own error (a connection opened outside
 * the adapter: its `errno` counts only with a SQLSTATE, which other drivers' errors lack), or from the
 * text of the cause of adapter-mariadb's pool timeout (`(conn:44, no: 1045, SQLState: 28000) Access
 * denied ...`, `connect ECONNREFUSED 127.0.0.1:3306`, `getaddrinfo ENOTFOUND db`). Empty for any other error.
 */
function mysqlConnectFailure(error: unknown): { errno?: number; code?: string } {
  if (!isDriverAdapterError(error)) {
    const { code, errno, sqlState } = (error ?? {}) as { code?: unknown; errno?: unknown; sqlState?: unknown }
    return { ...(typeof errno === 'number' && typeof sqlState === 'string' ? { errno } : {}), ...(typeof code === 'string' ? { code } : {}) }
  }
  const cause = error.cause as { kind: string }
  if (cause.kind !== 'mysql') return {}
  const { code, cause: text } = cause as MysqlErrorCause
  if (code !== MYSQL_POOL_TIMEOUT || text === undefined) return {}
  const errno = /\bno: (\d+)\b/.exec(text)?.[1]
  const socketCode = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\b/.exec(text)?.[1]
  return { ...(errno !== undefined ? { errno: Number(errno) } : {}), ...(socketCode !== undefined ? { code: socketCode } : {}) }
}

/**
 * The {@link DatabaseUnavailableError} for a failure to open a connection, if `error` is one: a refused
 * sign-in (wrong password, no such database, access denied) always; a server that cannot be reached
 * (refused, host not found) only before the engine ever connected, since afterwards it is a server
 * gone away mid-run (a restart), which {@link ConnectionLostError} reports. `address` is what the
 * engine's URL says; the adapter's own facts fill what it lacks.
 */
function unavailableError(error: unknown, address: DatabaseAddress, connectedBefore: boolean): DatabaseUnavailableError | undefined {
  if (error instanceof Error && error.message.includes('unsupported startup parameter')) return DatabaseUnavailableError.poolerStartupParameter(address, error)
  const cause = isDriverAdapterError(error) ? (error.cause as AdapterErrorCause & { readonly host?: string; readonly port?: number; readonly user?: string; readonly db?: string }) : undefined
  if (cause === undefined || cause.kind === 'mysql') {
    const { errno, code } = mysqlConnectFailure(error)
    return mysqlUnavailable(errno, code, address, error, connectedBefore)
  }
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
  // MySQL's 1040 reaches here from a connection opened outside the adapter, or as the cause of a pool timeout.
  if ((isDriverAdapterError(error) && (error.cause as AdapterErrorCause).kind === 'TooManyConnections') || mysqlConnectFailure(error).errno === 1040) {
    return ConnectionLostError.tooManyConnections(error, sql)
  }
  if (isConnectionError(error)) return ConnectionLostError.of(error, sql)
  if (!isDriverAdapterError(error)) return DatabaseError.fromDriver(error, sql)
  const cause = error.cause as AdapterErrorCause
  switch (cause.kind) {
    case 'UniqueConstraintViolation': {
      const constraint = cause.constraint?.index ?? cause.constraint?.fields?.join(', ') ?? 'unknown'
      // MariaDB's 1062 names only the index (MySQL 8's also the table): the statement names the table.
      const table = cause.table ?? (cause.originalCode === '1062' ? mysqlWrittenTable(sql) : undefined)
      return UniqueViolationError.of(constraint, table, error, sql, cause.constraint?.fields)
    }
    case 'ForeignKeyConstraintViolation':
      return ForeignKeyViolationError.of(cause.constraint?.index ?? mysqlConstraintName(cause.originalMessage), error, sql)
    case 'NullConstraintViolation':
      return NotNullViolationError.of(mysqlNotNullColumn(cause, sql) ?? cause.constraint?.fields?.join(', ') ?? notNullColumn(cause.originalMessage), error, sql)
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
    case 'mysql':
      return mysqlError(error, cause as unknown as MysqlErrorCause, sql)
    default:
      return DatabaseError.fromDriver(describe(error, cause), sql)
  }
}

/**
 * The named error of a MySQL/MariaDB error adapter-mariadb has no kind for: a lock wait timeout (1205;
 * only the statement was rolled back), a statement over its time limit (MariaDB's 1969, MySQL's 3024),
 * or the pool's own timeout with every connection busy (45028 without a cause: the pool's message says
 * how many were checked out of how many).
 */
function mysqlError(error: Error, cause: MysqlErrorCause, sql: string | undefined): OrmError {
  switch (cause.code) {
    case 1205:
      return DatabaseLockedError.lockWaitTimeout(error, sql)
    case 1969:
    case 3024:
      return DatabaseError.statementTimeout(error, sql)
    case MYSQL_POOL_TIMEOUT: {
      const waited = /after (\d+)ms/.exec(cause.message)?.[1]
      const counts = /active=(\d+) idle=\d+ (?:leak=\d+ )?limit=(\d+)/.exec(cause.message)
      return PoolTimeoutError.exhausted(Number(waited ?? 0), Number(counts?.[1] ?? 0), Number(counts?.[2] ?? 0), [], error)
    }
    default:
      return DatabaseError.fromDriver(error, sql)
  }
}

/** The constraint a MySQL foreign key message names: `... a foreign key constraint fails (`db`.`t`, CONSTRAINT `t_c_fkey` FOREIGN KEY ...)`. */
function mysqlConstraintName(message: string | undefined): string | undefined {
  return /CONSTRAINT `((?:[^`]|``)+)`/.exec(message ?? '')?.[1]?.replaceAll('``', '`')
}

/** The table a MySQL INSERT or UPDATE writes, as the runtime's statements name it (`INSERT [IGNORE] INTO \`t\``, `UPDATE \`t\``). */
function mysqlWrittenTable(sql: string | undefined): string | undefined {
  return /^(?:INSERT(?: IGNORE)? INTO|UPDATE) `((?:[^`]|``)+)`/.exec(sql ?? '')?.[1]?.replaceAll('``', '`')
}

/**
 * `table.column` (as SQLite and PostgreSQL name it) of a MySQL NOT NULL violation (1048 NULL given,
 * 1364 column left out without a default): adapter-mariadb gives the column, and the statement (an
 * INSERT or UPDATE of one table) names the table.
 */
function mysqlNotNullColumn(cause: AdapterErrorCause, sql: string | undefined): string | undefined {
  if (cause.originalCode !== '1048' && cause.originalCode !== '1364') return undefined
  const column = cause.constraint?.fields?.[0]
  const table = mysqlWrittenTable(sql)
  return column === undefined || table === undefined ? undefined : `${table}.${column}`
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
