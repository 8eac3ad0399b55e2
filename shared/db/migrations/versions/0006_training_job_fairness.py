"""training jobs: reason, the data version a run covered, retry backoff, and a detail line

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 17:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
import shared.db.types


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=16), server_default='commit', nullable=False))
        batch_op.add_column(sa.Column('detail', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('data_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('retry_at', shared.db.types.UtcDateTime(), nullable=True))
        batch_op.create_index('ix_training_jobs_tenant_started', ['tenant_id', 'started_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_training_jobs_tenant_started')
        batch_op.drop_column('retry_at')
        batch_op.drop_column('data_version')
        batch_op.drop_column('detail')
        batch_op.drop_column('reason')
