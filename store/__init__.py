"""All database access. dataset on SQLAlchemy; SQLite by default, PostgreSQL
by URL. Tables are created at start-up by ``init_db()``, never at import."""
from store.conversation import ConversationStore
from store.db import open_db
from store.jobs import FINISHED, JobStore, Status

__all__ = ["ConversationStore", "JobStore", "Status", "FINISHED", "open_db"]
