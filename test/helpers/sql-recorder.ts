// Records the SQL an engine runs, so tests can pin statements (SQLAlchemy's assert_sql_execution).
import type { Engine, ExecutedStatement } from 'prismalchemy'

/** The statements recorded since the last `clear()`. */
export interface SqlRecorder {
  readonly statements: ExecutedStatement[]
  /** Only the SQL texts. */
  sql(): string[]
  clear(): void
  stop(): void
}

/** Starts recording every statement `engine` runs. */
export function recordSql(engine: Engine): SqlRecorder {
  const statements: ExecutedStatement[] = []
  const stop = engine.onStatement((statement) => statements.push(statement))
  return {
    statements,
    sql: () => statements.map((statement) => statement.sql),
    clear: () => {
      statements.length = 0
    },
    stop,
  }
}

/** Runs `work` and returns the SQL it emitted. */
export async function capturedSql(engine: Engine, work: () => Promise<unknown>): Promise<string[]> {
  const recorder = recordSql(engine)
  try {
    await work()
    return recorder.sql()
  } finally {
    recorder.stop()
  }
}
