"""decision policies per tenant; the decision log keeps decision, policy version, customer and amount

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 17:40:00.000000
"""

from alembic import op
import sqlalchemy as sa
import shared.db.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decision_policies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', shared.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_decision_policies_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_policies')),
    sa.UniqueConstraint('tenant_id', 'version', name=op.f('uq_decision_policies_tenant_id_version'))
    )
    with op.batch_alter_table('prediction_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_version', sa.Integer(), nullable=True))

    # Decisions logged before policies were invoice-or-hold: `decision` says which.
    with op.batch_alter_table('prediction_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=7), nullable=False, server_default='hold'))
        batch_op.add_column(sa.Column('policy_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('customer_id', sa.Unicode(length=64), nullable=True))
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True))
        batch_op.create_index('ix_prediction_log_tenant_customer_created', ['tenant_id', 'customer_id', 'created_at'], unique=False)
    log = sa.table('prediction_log', sa.column('invoice', sa.Boolean()), sa.column('decision', sa.String()))
    op.execute(log.update().where(log.c.invoice.is_(True)).values(decision='invoice'))


def downgrade() -> None:
    with op.batch_alter_table('prediction_log', schema=None) as batch_op:
        batch_op.drop_index('ix_prediction_log_tenant_customer_created')
        batch_op.drop_column('amount')
        batch_op.drop_column('customer_id')
        batch_op.drop_column('policy_version')
        batch_op.drop_column('decision')
    with op.batch_alter_table('prediction_batches', schema=None) as batch_op:
        batch_op.drop_column('policy_version')
    op.drop_table('decision_policies')
