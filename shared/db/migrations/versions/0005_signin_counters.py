"""signin counters: attempts per hashed email or client address and fixed window

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 17:30:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signin_counters',
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key_hmac', sa.String(length=64), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('window_start', 'scope', 'key_hmac', name=op.f('pk_signin_counters'))
    )


def downgrade() -> None:
    op.drop_table('signin_counters')
