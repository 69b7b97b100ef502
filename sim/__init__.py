"""Local simulators of OpenAI (Realtime + HTTP), Ultravox and Twilio that
speak the real wire protocols on 127.0.0.1. See docs/architecture.md."""
