/** SchemaFile: one file of a Prisma schema, as read from disk or given by Prisma's generator API. */
/** One schema file: its path as shown in messages, and its text. */
export interface SchemaFile {
  readonly path: string
  readonly content: string
}
