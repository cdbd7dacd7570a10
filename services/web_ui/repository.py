"""Queries on the dashboard's accounts; never commits."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.models import WebAccount


async def get_account(session: AsyncSession, *, account_id: uuid.UUID) -> WebAccount | None:
    return await session.get(WebAccount, account_id)


async def get_account_by_email(session: AsyncSession, *, email: str) -> WebAccount | None:
    """`email` already normalised (lower-cased), as stored."""
    return await session.scalar(select(WebAccount).where(WebAccount.email == email))


def create_account(session: AsyncSession, *, email: str, name: str, password_hash: str) -> WebAccount:
    account = WebAccount(id=uuid.uuid4(), email=email, name=name, password_hash=password_hash)
    session.add(account)
    return account
