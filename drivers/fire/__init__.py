"""Fire-alarm drivers: GB/T 26875.3 monitoring-centre codec and sessions."""
