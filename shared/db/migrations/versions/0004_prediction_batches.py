"""prediction batches: each prediction request's decisions in one row, indexed per order later

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:36:43.897983
"""

from alembic import op
import sqlalchemy as sa
import shared.db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prediction_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_prediction_batches_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prediction_batches'))
    )
    with op.batch_alter_table('prediction_batches', schema=None) as batch_op:
        batch_op.create_index('ix_prediction_batches_tenant_id', ['tenant_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('prediction_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_prediction_batches_tenant_id')

    op.drop_table('prediction_batches')
