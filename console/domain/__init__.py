"""Domain types and pure state machines: events, devices, alarms, roles."""
