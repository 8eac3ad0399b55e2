"""monitoring: drift reference histograms per model version, per-day drift counters, retraining rules

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:30:00.000000
"""

from alembic import op
import sqlalchemy as sa
import shared.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('drift_counts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('feature', sa.Unicode(length=128), nullable=False),
    sa.Column('bin', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_drift_counts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'model_version', 'day', 'feature', 'bin', name=op.f('pk_drift_counts'))
    )
    op.create_table('retraining_rules',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('min_new_labeled', sa.Integer(), nullable=True),
    sa.Column('max_model_age_days', sa.Integer(), nullable=True),
    sa.Column('on_drift', sa.Boolean(), nullable=False),
    sa.Column('auto_activate', sa.String(length=9), nullable=False),
    sa.Column('updated_at', shared.db.types.UtcDateTime(), nullable=True),
    sa.Column('labeled_mark', sa.Integer(), nullable=True),
    sa.Column('age_version', sa.Integer(), nullable=True),
    sa.Column('drift_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_retraining_rules_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_retraining_rules'))
    )
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drift_reference', sa.JSON(), nullable=True))
    op.create_table('decision_counts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('decision', sa.String(length=7), nullable=False),
    sa.Column('outcome', sa.SmallInteger(), nullable=False),
    sa.Column('bin', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_decision_counts_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', 'model_version', 'day', 'decision', 'outcome', 'bin', name=op.f('pk_decision_counts'))
    )
    op.create_table('outcome_marks',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('upload_batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outcome_marks_tenant_id_tenants')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_outcome_marks'))
    )
    with op.batch_alter_table('prediction_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.Boolean(), nullable=True))
    # Decisions logged before: counted, with their orders' labels, by the first monitoring query
    # of each company (its outcome mark starts at nothing taken in; see `shared.services.outcomes`).


def downgrade() -> None:
    with op.batch_alter_table('prediction_log', schema=None) as batch_op:
        batch_op.drop_column('outcome')
    op.drop_table('outcome_marks')
    op.drop_table('decision_counts')
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_column('drift_reference')
    op.drop_table('retraining_rules')
    op.drop_table('drift_counts')
