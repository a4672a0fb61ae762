"""The scripted demo scenario that keeps the demo site alive until protocol simulators replace it."""
