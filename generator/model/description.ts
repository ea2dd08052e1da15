/** Our own plain-data description of a schema: what the emitters read, independent of Prisma's DMMF. */
import type {
  CascadeName,
  DefaultDefinition,
  LoaderStrategyName,
  ReferentialAction,
  RelationshipDirection,
  RelationshipOrder,
  ScalarType,
} from '../../runtime/internal.js'

/** One enum. */
export interface EnumDescription {
  readonly name: string
  /** The values' names: what TypeScript code (and PrismaClient) uses. */
  readonly values: readonly string[]
  /** When some value has `@map`: each value's name mapped to the name stored in the database; absent otherwise. */
  readonly storedValues?: Readonly<Record<string, string>>
  readonly documentation?: string
}

/** One scalar or enum field. */
export interface FieldDescription {
  readonly name: string
  /** Database column (`@map`). */
  readonly column: string
  readonly type: ScalarType
  /** The enum's name when `type` is `Enum`. */
  readonly enumName?: string
  /** The enum's stored value names, when `type` is `Enum` and the enum maps some value with `@map`. */
  readonly enumValues?: Readonly<Record<string, string>>
  /** A scalar list (`String[]`): `type` is each element's. */
  readonly list: boolean
  /** The `@db.*` native type's name (`VarChar`, `Money`, ...), without arguments. */
  readonly nativeType?: string
  /** DateTime columns with `@db.Timestamp(p)`, `Timestamptz(p)`, `Time(p)` or `Timetz(p)`: the fractional-second digits the database keeps. */
  readonly precision?: number
  readonly nullable: boolean
  readonly isId: boolean
  readonly default?: DefaultDefinition
  readonly updatedAt: boolean
  readonly documentation?: string
}

/** One relationship field. */
export interface RelationDescription {
  readonly name: string
  readonly target: string
  readonly direction: RelationshipDirection
  readonly uselist: boolean
  /** For to-one relations: whether the related object may be absent. */
  readonly nullable: boolean
  readonly ownsForeignKey: boolean
  readonly localColumns: readonly string[]
  readonly remoteColumns: readonly string[]
  readonly backPopulates: string
  readonly strategy: LoaderStrategyName
  /** Implicit many-to-many: Prisma's join table and which of its columns points at each side. */
  readonly secondary?: { readonly table: string; readonly localColumn: string; readonly remoteColumn: string }
  /** `/// @orderBy(...)` on a to-many relation: the collection's sort keys, in order; absent when none. */
  readonly orderBy?: readonly RelationshipOrder[]
  /** `/// @cascade(...)` on the side without the foreign key; absent when none. */
  readonly cascade?: readonly CascadeName[]
  /** On the foreign-key side: the database's `onDelete` action (Prisma's default resolved); absent without database constraints. */
  readonly onDelete?: ReferentialAction
  /** Documentation without the annotation lines. */
  readonly documentation?: string
}

/** One model. */
export interface ModelDescription {
  readonly name: string
  readonly table: string
  readonly fields: readonly FieldDescription[]
  /** The fields that identify a row: the primary key, or the unique chosen when the model has no @id (see `identity`). */
  readonly primaryKey: readonly string[]
  /** Where `primaryKey` comes from: `id` (@id or @@id), or `unique` (no @id: a required `@unique`/`@@unique`, see describe.ts). */
  readonly identity: 'id' | 'unique'
  readonly relations: readonly RelationDescription[]
  /** `/// @bind(<key>)`: the database (bind) the model's table lives in; absent for the default one. */
  readonly bind?: string
  /** A `view` block: mapped read-only (`table` is the view's name); absent for a model. */
  readonly view?: true
  readonly documentation?: string
}

/** A whole schema, sorted by name. */
export interface SchemaDescription {
  readonly provider: string
  readonly enums: readonly EnumDescription[]
  readonly models: readonly ModelDescription[]
  /** The schema files, embedded in generated code for `createAll()`; paths relative to the schema root. */
  readonly sources: readonly { readonly path: string; readonly content: string }[]
}
