/**
 * The PostgreSQL journal's schema, as numbered migrations inside one schema (default `ripcord`), so the
 * journal can share a database with other things without name clashes. `seq` orders runs created in the
 * same instant.
 */
export function postgresMigrations(schema: string): readonly string[] {
  const s = quoteIdent(schema);
  return [
    `
    create table if not exists ${s}.runs (
      id text primary key,
      seq bigint generated always as identity,
      service text not null,
      scenario text not null,
      status text not null,
      plan jsonb not null,
      created_at timestamptz not null,
      updated_at timestamptz not null,
      owner text,
      error text,
      summary jsonb
    );
    create index if not exists runs_by_service on ${s}.runs (service, created_at desc, seq desc);
    create index if not exists runs_by_created on ${s}.runs (created_at desc, seq desc);
    create table if not exists ${s}.steps (
      run_id text not null references ${s}.runs (id) on delete cascade,
      step_id text not null,
      idx integer not null,
      status text not null,
      attempts integer not null default 1,
      started_at timestamptz not null,
      finished_at timestamptz,
      duration_ms integer,
      evidence jsonb,
      error text,
      primary key (run_id, step_id)
    );
    `,
  ];
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** Quotes a schema name after checking it is a plain identifier (it comes from the config file). */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) throw new Error(`journal: schema name "${name}" must match ${IDENT.source}`);
  return `"${name}"`;
}
