"""OpenAI Realtime (GA) WebSocket simulator. See server.RealtimeSim."""
from .server import RealtimeSim

__all__ = ["RealtimeSim"]
