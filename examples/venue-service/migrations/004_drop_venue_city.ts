import type { Knex } from 'knex';

// Dangerous (v1.4.0): releases before it select `city` and fail once it is gone, and its values are lost.
// down() gives the column back (same type, nullable) so those releases work again, but not the data: that
// needs the backup the runbook asks for before a dangerous migration.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('venues', (t) => {
    t.dropColumn('city');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('venues', (t) => {
    t.text('city');
  });
}
