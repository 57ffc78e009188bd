import { describe, expect, it } from 'vitest';
import { classifySql, riskOf, splitStatements } from '../../src/core/db-rollback/sql-classify.js';

const risks = (sql: string) => classifySql(sql).map((e) => [e.op, riskOf(e)]);

describe('classifySql: captured SQL to effects and risks', () => {
  it('knex schema builder output', () => {
    expect(
      classifySql(
        'create table "venues" ("id" serial primary key, "name" text not null, "city" text, constraint "u" unique ("name"))',
      ),
    ).toEqual([{ op: 'create-table', table: 'venues', columns: ['id', 'name', 'city'] }]);
    expect(risks('alter table "venues" add column "note" text')).toEqual([['add-column', 'additive']]);
    expect(risks('alter table "venues" add column "n" integer not null default \'0\'')).toEqual([
      ['add-column', 'additive'],
    ]);
    expect(risks('alter table "venues" add column "n" integer not null')).toEqual([
      ['add-column', 'incompatible'],
    ]);
    expect(risks('create index "venues_name_idx" on "venues" ("name")')).toEqual([
      ['create-index', 'additive'],
    ]);
    expect(risks('drop index "venues_name_idx"')).toEqual([['drop-index', 'none']]);
    expect(risks('alter table "venues" drop column "city"')).toEqual([['drop-column', 'dangerous']]);
    expect(risks('drop table "venues"')).toEqual([['drop-table', 'dangerous']]);
    expect(
      classifySql('alter table "venues" alter column "capacity" type integer using ("capacity"::integer)'),
    ).toEqual([{ op: 'alter-type', table: 'venues', column: 'capacity', type: 'integer' }]);
    expect(risks('alter table "venues" alter column "capacity" set not null')).toEqual([
      ['set-not-null', 'incompatible'],
    ]);
    expect(risks('alter table "venues" alter column "capacity" drop default')).toEqual([
      ['relax-column', 'none'],
    ]);
    expect(risks('alter table "venues" rename "city" to "town"')).toEqual([
      ['rename-column', 'incompatible'],
    ]);
  });

  it('data statements', () => {
    expect(risks('delete from "venues" where "id" = $1')).toEqual([['delete', 'dangerous']]);
    expect(risks('truncate "venues", "gigs" restart identity')).toEqual([
      ['truncate', 'dangerous'],
      ['truncate', 'dangerous'],
    ]);
    expect(risks('update "venues" set "capacity" = $1 where "capacity" is null')).toEqual([
      ['update', 'dangerous'],
    ]);
    expect(risks('insert into "venues" ("name") values ($1)')).toEqual([['insert', 'additive']]);
    expect(risks('select * from information_schema.tables where table_name = $1')).toEqual([
      ['read', 'none'],
    ]);
  });

  it('raw SQL: several statements, several ALTER actions, schema-qualified and quoted names', () => {
    expect(
      classifySql('ALTER TABLE public.venues DROP COLUMN capacity; DELETE FROM venues WHERE city IS NULL'),
    ).toEqual([
      { op: 'drop-column', table: 'venues', column: 'capacity' },
      { op: 'delete', table: 'venues' },
    ]);
    expect(
      classifySql('alter table "Audit"."Log" add column a int, drop column b, alter column c type bigint'),
    ).toEqual([
      { op: 'add-column', table: 'Audit.Log', column: 'a', notNull: false, hasDefault: false },
      { op: 'drop-column', table: 'Audit.Log', column: 'b' },
      { op: 'alter-type', table: 'Audit.Log', column: 'c', type: 'bigint' },
    ]);
    expect(risks("DO $$ BEGIN EXECUTE 'drop table x'; END $$")).toEqual([['unknown', 'dangerous']]);
  });

  it('splits on semicolons outside quotes, dollar quotes and comments', () => {
    expect(
      splitStatements("insert into t values ('a;b'); -- x;y\nselect 1; /* ; */ select $f$ ; $f$"),
    ).toEqual(["insert into t values ('a;b')", 'select 1', 'select $f$ ; $f$']);
  });
});
