/**
 * The SQLite journal's schema, as numbered migrations. Version N is `SQLITE_MIGRATIONS[N - 1]`; a file is only
 * ever moved forward, and one written by a newer ripcord is refused rather than misread.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  create table runs (
    id text primary key,
    service text not null,
    scenario text not null,
    status text not null,
    plan text not null,
    created_at text not null,
    updated_at text not null,
    owner text,
    error text,
    summary text
  );
  create index runs_by_service on runs (service, created_at desc);
  create index runs_by_created on runs (created_at desc);
  create table steps (
    run_id text not null references runs (id) on delete cascade,
    step_id text not null,
    idx integer not null,
    status text not null,
    attempts integer not null default 1,
    started_at text not null,
    finished_at text,
    duration_ms integer,
    evidence text,
    error text,
    primary key (run_id, step_id)
  );
  `,
];
