"""Qt views of the console: the one bus bridge, alarm list, device tree, event log, camera wall, sound."""
