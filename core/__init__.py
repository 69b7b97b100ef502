"""The shared kernel: config, events and the bus, clock, retry policy, logs,
the live state picture, the operator's actions, the runtime that owns the
parts, the command line and the headless view."""
