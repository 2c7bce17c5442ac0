"""releases: four eyes (submitted, published by someone else), versions, immutable published rows

Revision ID: t4releases
Revises: t3anonymity
Create Date: 2026-12-01 22:00:00

Adds who and when of each step (submitted_by/at, published_by), the version chain
(version, supersedes_id, superseded_by_id, superseded_at, correction_reason), the data
fingerprint and the SHA-256 of the published content, and a CHECK on the status values.

Triggers on both databases refuse UPDATE and DELETE of a published or superseded row, except
the one step published -> superseded, which may set superseded_at and superseded_by_id and
nothing else. They also refuse publishing without a publisher, or by the person who computed or
submitted the release (four eyes, kept by the database as well as the application).

* PostgreSQL compares the whole row as JSONB minus the three columns the step may change, so a
  column added later is covered without touching the trigger.
* SQLite has no row-to-JSON: its trigger names every column as of this revision. A later
  revision that adds a column to ``index_release`` must recreate ``index_release_frozen_update``
  with it, and a batch ALTER of the table (which recreates it) drops both triggers: create them
  again afterwards.

Releases published before this revision keep no hash (content_sha256 is NULL): nothing was
fingerprinted when they were computed; ``sipas release verify`` says so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op


revision: str = 't4releases'
down_revision: str | None = 't3anonymity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROZEN = "('published', 'superseded')"
# Every column of index_release after this revision, but the three that published -> superseded
# sets (status, superseded_at, superseded_by_id).
UNCHANGED_COLUMNS = (
    'id', 'name', 'parameters', 'summary', 'campaign_id', 'results', 'version', 'supersedes_id',
    'correction_reason', 'fingerprint', 'content_sha256', 'created_by', 'created_at',
    'submitted_by', 'submitted_at', 'published_by', 'published_at',
)

PG_FUNCTION = f"""
CREATE FUNCTION index_release_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status IN {FROZEN} THEN
            RAISE EXCEPTION 'index_release %: a % release cannot be deleted', OLD.id, OLD.status
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'published figures stay readable; publish a correction instead';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status IN {FROZEN} THEN
        IF NOT (OLD.status = 'published' AND NEW.status = 'superseded'
                AND NEW.superseded_at IS NOT NULL AND NEW.superseded_by_id IS NOT NULL
                AND (to_jsonb(NEW) - 'status' - 'superseded_at' - 'superseded_by_id')
                    = (to_jsonb(OLD) - 'status' - 'superseded_at' - 'superseded_by_id')) THEN
            RAISE EXCEPTION 'index_release %: a % release cannot change', OLD.id, OLD.status
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'only published -> superseded is allowed, and it changes nothing else';
        END IF;
    ELSIF NEW.status = 'published' AND (NEW.published_by IS NULL
            OR NEW.published_by IS NOT DISTINCT FROM NEW.created_by
            OR NEW.published_by IS NOT DISTINCT FROM NEW.submitted_by) THEN
        RAISE EXCEPTION 'index_release %: the publisher must be someone else', OLD.id
            USING ERRCODE = 'check_violation',
                  HINT = 'neither the person who computed nor the one who submitted it publishes';
    END IF;
    RETURN NEW;
END;
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER index_release_guard BEFORE UPDATE OR DELETE ON index_release"
    " FOR EACH ROW EXECUTE FUNCTION index_release_guard()"
)
_SAME = ' AND '.join(f'NEW.{c} IS OLD.{c}' for c in UNCHANGED_COLUMNS)
SQLITE_TRIGGERS = [
    "CREATE TRIGGER index_release_frozen_update BEFORE UPDATE ON index_release"
    f" WHEN OLD.status IN {FROZEN} AND NOT (OLD.status = 'published'"
    " AND NEW.status = 'superseded' AND NEW.superseded_at IS NOT NULL"
    f" AND NEW.superseded_by_id IS NOT NULL AND {_SAME})"
    " BEGIN SELECT RAISE(ABORT, 'index_release: a published release cannot change; only"
    " published -> superseded is allowed, and it changes nothing else'); END",
    "CREATE TRIGGER index_release_frozen_delete BEFORE DELETE ON index_release"
    f" WHEN OLD.status IN {FROZEN}"
    " BEGIN SELECT RAISE(ABORT, 'index_release: a published release cannot be deleted'); END",
    "CREATE TRIGGER index_release_four_eyes BEFORE UPDATE ON index_release"
    f" WHEN OLD.status NOT IN {FROZEN} AND NEW.status = 'published' AND ("
    "NEW.published_by IS NULL OR NEW.published_by IS NEW.created_by"
    " OR NEW.published_by IS NEW.submitted_by)"
    " BEGIN SELECT RAISE(ABORT, 'index_release: the publisher must be someone who neither"
    " computed nor submitted it'); END",
]
SQLITE_TRIGGER_NAMES = (
    'index_release_four_eyes', 'index_release_frozen_delete', 'index_release_frozen_update'
)


def upgrade() -> None:
    with op.batch_alter_table('index_release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('supersedes_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('correction_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('fingerprint', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('submitted_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_index_release_supersedes_id'), ['supersedes_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_index_release_supersedes_id_index_release'), 'index_release', ['supersedes_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_index_release_superseded_by_id_index_release'), 'index_release', ['superseded_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_index_release_submitted_by_staff_user'), 'staff_user', ['submitted_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_index_release_published_by_staff_user'), 'staff_user', ['published_by'], ['id'])
        batch_op.create_check_constraint(op.f('ck_index_release_status'), "status IN ('draft', 'submitted', 'published', 'superseded')")
    # The models carry no server defaults: the application always sets these columns.
    with op.batch_alter_table('index_release', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)
        batch_op.alter_column('correction_reason', server_default=None)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS index_release_guard ON index_release')
        op.execute('DROP FUNCTION IF EXISTS index_release_guard()')
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    # The two later statuses have no place in the old schema: a submitted release goes back to
    # draft, a superseded one stays readable as published.
    op.execute("UPDATE index_release SET status = 'draft' WHERE status = 'submitted'")
    op.execute("UPDATE index_release SET status = 'published' WHERE status = 'superseded'")
    with op.batch_alter_table('index_release', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_index_release_status'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_index_release_published_by_staff_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_index_release_submitted_by_staff_user'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_index_release_superseded_by_id_index_release'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_index_release_supersedes_id_index_release'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_index_release_supersedes_id'))
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_column('published_by')
        batch_op.drop_column('submitted_at')
        batch_op.drop_column('submitted_by')
        batch_op.drop_column('content_sha256')
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('correction_reason')
        batch_op.drop_column('supersedes_id')
        batch_op.drop_column('version')
