/** Our own plain-data description of a schema: what the emitters read, independent of Prisma's DMMF. */
import type { DefaultDefinition, RelationshipDirection, ScalarType } from '../../runtime/index.js'
import type { LoaderStrategyName } from '../../runtime/loading/strategy-names.js'
import type { CascadeName, ReferentialAction, RelationshipOrder } from '../../runtime/orm/metadata.js'

/** One enum. */
export interface EnumDescription {
  readonly name: string
  readonly values: readonly string[]
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
  readonly primaryKey: readonly string[]
  readonly relations: readonly RelationDescription[]
  /** `/// @bind(<key>)`: the database (bind) the model's table lives in; absent for the default one. */
  readonly bind?: string
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
