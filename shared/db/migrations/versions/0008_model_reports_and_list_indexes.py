"""model reports: the holdout report beside each model version; indexes for the uploads and jobs lists

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 17:45:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report', sa.JSON(), nullable=True))
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index('ix_uploads_tenant_created', ['tenant_id', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_training_jobs_tenant_created', ['tenant_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_training_jobs_tenant_created')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_uploads_tenant_created')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_column('report')
