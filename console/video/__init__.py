"""Video: stream workers, latest-frame slots and the engine that runs them (PyAV, no Qt)."""
