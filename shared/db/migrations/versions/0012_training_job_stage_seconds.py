"""training job stage times: how long each stage of a succeeded job took

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 19:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_seconds', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_column('stage_seconds')
