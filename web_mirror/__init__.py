"""The browser mirror of the console: Bottle + gevent-websocket on a
background thread with its own gevent hub (see server.py)."""
from web_mirror.server import MirrorServer

__all__ = ["MirrorServer"]
