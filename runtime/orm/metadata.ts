/** The plain-data mapping that generated code hands to the runtime: tables, columns, keys and relationships. */
import type { SchemaSource } from '../engine/schema-push.js'
import type { LoaderStrategyName } from '../loading/strategy-names.js'
import type { ScalarType } from '../sql/nodes.js'

/** How a column gets a value when the application leaves it unset. */
export type DefaultDefinition =
  /** The database assigns an increasing integer (read back with RETURNING). */
  | { readonly kind: 'autoincrement' }
  /** The database computes it (`dbgenerated(...)`); read back with RETURNING. */
  | { readonly kind: 'dbgenerated' }
  /** The current time, set by the runtime at flush, as Prisma Client does. */
  | { readonly kind: 'now' }
  /** A random UUID, set by the runtime at flush, as Prisma Client does. */
  | { readonly kind: 'uuid'; readonly version: 4 | 7 }
  /** A CUID set by the runtime at flush with the libraries Prisma Client uses: `cuid()` is version 1, `cuid(2)` is cuid2. */
  | { readonly kind: 'cuid'; readonly version: 1 | 2 }
  /** A nanoid of `size` characters (`nanoid()` is 21), set by the runtime at flush with the library Prisma Client uses. */
  | { readonly kind: 'nanoid'; readonly size: number }
  /** A ULID (26 characters, not monotonic), set by the runtime at flush with the library Prisma Client uses. */
  | { readonly kind: 'ulid' }
  /** A constant from the schema. */
  | { readonly kind: 'value'; readonly value: unknown }

/** One column of a model. */
export interface ColumnDefinition {
  /** Property name on the model class. */
  readonly name: string
  /** Column name in the database (`@map`). */
  readonly column: string
  /** The scalar kind; of each element for a list. */
  readonly type: ScalarType
  readonly nullable: boolean
  readonly default?: DefaultDefinition
  /** `@updatedAt`: set to the current time on every insert and update. */
  readonly updatedAt?: boolean
  /**
   * A scalar list (`String[]`, PostgreSQL only): a PostgreSQL array, read as a JavaScript array (an
   * empty one for NULL, as PrismaClient reads it). Never nullable.
   */
  readonly list?: true
  /** The `@db.*` native type's name (`VarChar`, `Money`, `Time`, ...), without arguments; absent for the scalar's default type. */
  readonly nativeType?: string
  /**
   * DateTime columns whose native type keeps fewer fractional-second digits than a `Date` has
   * (`@db.Timestamp(0)`): the digits kept. Times the runtime sets itself (`now()`, `@updatedAt`) are
   * rounded to them, as the database rounds what it stores, so objects hold what the row holds.
   */
  readonly precision?: number
  /** For an enum with `@map` on its values: each value's name mapped to the name stored in the database. */
  readonly enumValues?: Readonly<Record<string, string>>
}

/** Direction of a relationship, seen from the model that declares it. */
export type RelationshipDirection = 'many-to-one' | 'one-to-many' | 'one-to-one' | 'many-to-many'

/** The join table of an implicit many-to-many relation (Prisma's `_AToB` with columns `A` and `B`). */
export interface SecondaryDefinition {
  readonly table: string
  /** The join-table column referencing this model's key (`A` or `B`). */
  readonly localColumn: string
  /** The join-table column referencing the target's key. */
  readonly remoteColumn: string
}

/**
 * Cascades a parent's relationship declares with `/// @cascade(...)` (save-update is always on):
 * `delete` deletes the related objects with the parent in the same flush; `delete-orphan` also
 * deletes a related object removed from the parent.
 */
export type CascadeName = 'delete' | 'delete-orphan'

/**
 * One sort key of a collection's declared order (`/// @orderBy(createdAt: desc)`, SQLAlchemy's
 * `relationship(order_by=...)`): a scalar field of the related model and its direction.
 */
export interface RelationshipOrder {
  /** Property name of a column of the related model. */
  readonly field: string
  readonly direction: 'asc' | 'desc'
}

/** What the database does to referencing rows when the referenced row is deleted (Prisma's `onDelete`). */
export type ReferentialAction = 'Cascade' | 'SetNull' | 'SetDefault' | 'Restrict' | 'NoAction'

/** One relationship of a model. */
export interface RelationshipDefinition {
  /** Property name on the model class. */
  readonly name: string
  /** Name of the related model. */
  readonly target: string
  readonly direction: RelationshipDirection
  /** True for collections. */
  readonly uselist: boolean
  /** Loading strategy declared in the schema (`/// @lazy(...)`). */
  readonly strategy: LoaderStrategyName
  /** True when this side holds the foreign key columns. */
  readonly ownsForeignKey: boolean
  /** Columns of this model joined to `remoteColumns` (the foreign key, or the referenced key). */
  readonly localColumns: readonly string[]
  /** Columns of the target model, in the same order. */
  readonly remoteColumns: readonly string[]
  /** The relationship on the target model that mirrors this one. */
  readonly backPopulates?: string
  /** For an implicit many-to-many: the join table (`localColumns`/`remoteColumns` are then each side's key). */
  readonly secondary?: SecondaryDefinition
  /**
   * To-many only: the order every load of the collection returns (`/// @orderBy(...)`), as ORDER BY
   * keys on the related model; a dynamic relationship's query starts with it. Absent: no order.
   */
  readonly orderBy?: readonly RelationshipOrder[]
  /** Cascades beyond save-update, on the side without the foreign key (`/// @cascade(...)`). */
  readonly cascade?: readonly CascadeName[]
  /**
   * On the side holding the foreign key: what the database's constraint does when the referenced
   * row is deleted (`onDelete`, or Prisma's default: Restrict when required, SetNull when optional).
   * Absent when the database enforces no constraint (`relationMode = "prisma"`).
   */
  readonly onDelete?: ReferentialAction
}

/** One model. */
export interface ModelDefinition {
  readonly name: string
  readonly table: string
  readonly columns: readonly ColumnDefinition[]
  /** Property names of the primary key columns. */
  readonly primaryKey: readonly string[]
  readonly relationships: readonly RelationshipDefinition[]
  /**
   * The bind key (`/// @bind(key)`, Flask-SQLAlchemy's `__bind_key__`): which of the configured
   * databases holds the table. Absent for the default database.
   */
  readonly bind?: string
  /**
   * A database view (a `view` block, Prisma's `views` preview feature): read-only, so a flush
   * refuses to insert, update or delete its rows; `createAll()` does not create it (Prisma's schema
   * engine leaves views to the project's migrations). Absent for a table.
   */
  readonly view?: true
}

/** The schema the models came from, for `createAll()` / `dropAll()`. */
export interface SchemaDefinition {
  readonly provider: string
  readonly sources: readonly SchemaSource[]
}
