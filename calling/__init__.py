"""The autonomous calling engine: claims call jobs, dials through Ultravox +
Twilio, follows the call, asks the strategist what next, records it."""
