"""All database access. dataset on SQLAlchemy; SQLite by default, PostgreSQL
by URL. Tables are created at start-up by ``init_db()``, never at import."""
from store.conversation import ConversationStore
from store.db import open_db
from store.jobs import JobStore

__all__ = ["ConversationStore", "JobStore", "open_db"]
