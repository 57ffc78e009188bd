import type { Knex } from 'knex';

// Additive (v1.3.0): older releases never notice it, so rolling the app back needs no schema change.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('venues', (t) => {
    t.index(['name'], 'venues_name_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('venues', (t) => {
    t.dropIndex(['name'], 'venues_name_idx');
  });
}
