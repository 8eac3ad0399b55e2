"""model registry and prediction log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:08:26.304885
"""

from alembic import op
import sqlalchemy as sa
import shared.db.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prediction_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Unicode(length=64), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('invoice', sa.Boolean(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_prediction_log_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prediction_log'))
    )
    with op.batch_alter_table('prediction_log', schema=None) as batch_op:
        batch_op.create_index('ix_prediction_log_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index('ix_prediction_log_tenant_order_created', ['tenant_id', 'order_id', 'created_at'], unique=False)

    op.create_table('model_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('training_job_id', sa.Uuid(), nullable=False),
    sa.Column('algorithm', sa.String(length=100), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('leaderboard', sa.JSON(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('row_counts', sa.JSON(), nullable=False),
    sa.Column('champion_comparison', sa.JSON(), nullable=True),
    sa.Column('data_from', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('data_to', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('artifact_uri', sa.String(length=1000), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_model_versions_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['training_job_id'], ['training_jobs.id'], name=op.f('fk_model_versions_training_job_id_training_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('tenant_id', 'version', name=op.f('uq_model_versions_tenant_id_version'))
    )


def downgrade() -> None:
    op.drop_table('model_versions')
    with op.batch_alter_table('prediction_log', schema=None) as batch_op:
        batch_op.drop_index('ix_prediction_log_tenant_order_created')
        batch_op.drop_index('ix_prediction_log_tenant_created')

    op.drop_table('prediction_log')
