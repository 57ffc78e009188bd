import type { Knex } from 'knex';

// v1.5.0 ships this without down() on purpose: which rows were NULL before the backfill is not recorded,
// so it cannot be undone, and tools must refuse to roll it back rather than guess.
export async function up(knex: Knex): Promise<void> {
  await knex('venues').whereNull('capacity').update({ capacity: 0 });
  await knex.schema.alterTable('venues', (t) => {
    t.integer('capacity').notNullable().defaultTo(0).alter();
  });
}
