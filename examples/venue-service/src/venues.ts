import type { Knex } from 'knex';
import { z } from 'zod';
import type { ServiceConfig } from './service-config.js';

/** POST /api/venues body. Unknown keys are dropped; so is `city` by releases that no longer store it. */
export const NewVenue = z.object({
  name: z.string().trim().min(1).max(200),
  city: z.string().trim().max(200).nullish(),
  capacity: z.number().int().min(0).max(1_000_000).nullish(),
});
export type NewVenue = z.infer<typeof NewVenue>;

export const VenueId = z.coerce.number().int().positive().max(2_147_483_647);
export const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(50) });

/** A row as PostgreSQL returns it; validated because the schema may belong to another release. */
export const VenueRow = z.object({
  id: z.number().int(),
  name: z.string(),
  city: z.string().nullable().optional(),
  capacity: z.number().int().nullable().optional(),
  created_at: z.date(),
});
export type VenueRow = z.infer<typeof VenueRow>;

export type VenueColumn = 'city' | 'capacity';

/**
 * Reads and writes venues with the columns one release's code knows. Columns are named, not `select *`:
 * a release rolled back onto a schema that lost one of its columns fails loudly, as real code would.
 */
export class VenueStore {
  constructor(
    private readonly db: Knex,
    private readonly columns: readonly VenueColumn[],
  ) {}

  private get selected(): string[] {
    return ['id', 'name', ...this.columns, 'created_at'];
  }

  /** Newest first, so a list stays one index scan however many rows load tests have written. */
  async list(limit: number): Promise<VenueRow[]> {
    const rows: unknown[] = await this.db('venues').select(this.selected).orderBy('id', 'desc').limit(limit);
    return rows.map((r) => VenueRow.parse(r));
  }

  async get(id: number): Promise<VenueRow | undefined> {
    const row: unknown = await this.db('venues').select(this.selected).where({ id }).first();
    return row === undefined ? undefined : VenueRow.parse(row);
  }

  async insert(v: NewVenue): Promise<VenueRow> {
    const values: Record<string, unknown> = { name: v.name };
    for (const c of this.columns) if (v[c] !== undefined) values[c] = v[c];
    const [row] = (await this.db('venues').insert(values).returning(this.selected)) as unknown[];
    return VenueRow.parse(row);
  }
}

/** The "new pricing" feature's output for one venue (FEATURE_NEW_PRICING). */
export function priceFor(
  venue: VenueRow,
  mode: ServiceConfig['VENUE_PRICING_MODE'],
): { mode: string; basePrice: number } {
  const base = 20 + Math.min(80, Math.round((venue.capacity ?? 0) / 500));
  return { mode, basePrice: mode === 'dynamic' ? Math.round(base * 1.25) : base };
}
