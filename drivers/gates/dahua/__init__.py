"""Dahua access control and ANPR: eventManager attach stream (pull) and HTTP event upload (push)."""
