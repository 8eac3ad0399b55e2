"""datasets uploads training jobs outbox

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:06:40.677258
"""

from alembic import op
import sqlalchemy as sa
import shared.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_limits',
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('limit', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Unicode(length=64), nullable=False),
    sa.Column('upload_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_credit_limits_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'customer_id', 'valid_from', name=op.f('pk_credit_limits'))
    )
    op.create_table('customers',
    sa.Column('document_hmac', sa.String(length=64), nullable=True),
    sa.Column('name', sa.Unicode(length=200), nullable=True),
    sa.Column('segment', sa.Unicode(length=64), nullable=True),
    sa.Column('state', sa.String(length=2), nullable=True),
    sa.Column('customer_since', sa.Date(), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Unicode(length=64), nullable=False),
    sa.Column('upload_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_customers_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'customer_id', name=op.f('pk_customers'))
    )
    op.create_table('orders',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Unicode(length=64), nullable=False),
    sa.Column('customer_id', sa.Unicode(length=64), nullable=False),
    sa.Column('upload_id', sa.Uuid(), nullable=False),
    sa.Column('ordered_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('payment_term_days', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Unicode(length=64), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('invoiced', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_orders_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'order_id', name=op.f('pk_orders'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_tenant_customer_ordered_at', ['tenant_id', 'customer_id', 'ordered_at'], unique=False)
        batch_op.create_index('ix_orders_tenant_ordered_at', ['tenant_id', 'ordered_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('published_at', shared.db.types.UtcDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outbox_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_published_at_id', ['published_at', 'id'], unique=False)

    op.create_table('serasa_queries',
    sa.Column('queried_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('negative_records', sa.Integer(), nullable=False),
    sa.Column('negative_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('protests', sa.Integer(), nullable=False),
    sa.Column('protests_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('bounced_checks', sa.Integer(), nullable=False),
    sa.Column('lawsuits', sa.Integer(), nullable=False),
    sa.Column('bankruptcy_filings', sa.Integer(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=True),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Unicode(length=64), nullable=False),
    sa.Column('upload_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_serasa_queries_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'customer_id', 'queried_at', name=op.f('pk_serasa_queries'))
    )
    op.create_table('uploads',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('expected_batches', sa.JSON(), nullable=True),
    sa.Column('training_job_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('committed_at', shared.db.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_uploads_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads'))
    )
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uploads_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('training_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('upload_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.Column('started_at', shared.db.types.UtcDateTime(), nullable=True),
    sa.Column('finished_at', shared.db.types.UtcDateTime(), nullable=True),
    sa.Column('lease_expires_at', shared.db.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_training_jobs_tenant_id_tenants')),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_training_jobs_upload_id_uploads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_jobs'))
    )
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_training_jobs_status_lease', ['status', 'lease_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_jobs_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('upload_batches',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('upload_id', sa.Uuid(), nullable=False),
    sa.Column('dataset', sa.String(length=32), nullable=False),
    sa.Column('batch', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_upload_batches_upload_id_uploads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_batches')),
    sa.UniqueConstraint('upload_id', 'dataset', 'batch', name=op.f('uq_upload_batches_upload_id_dataset_batch'))
    )


def downgrade() -> None:
    op.drop_table('upload_batches')
    with op.batch_alter_table('training_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_jobs_tenant_id'))
        batch_op.drop_index('ix_training_jobs_status_lease')

    op.drop_table('training_jobs')
    with op.batch_alter_table('uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uploads_tenant_id'))

    op.drop_table('uploads')
    op.drop_table('serasa_queries')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_published_at_id')

    op.drop_table('outbox')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_tenant_ordered_at')
        batch_op.drop_index('ix_orders_tenant_customer_ordered_at')

    op.drop_table('orders')
    op.drop_table('customers')
    op.drop_table('credit_limits')
