"""batch written keys: the leading key values each batch wrote, so scoring contexts reload only those

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 17:40:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('upload_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_keys', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('upload_batches', schema=None) as batch_op:
        batch_op.drop_column('written_keys')
