"""Motion analysis: detector, zones, events, CLI and benchmark."""
