"""Hikvision ISAPI gates: face terminals, turnstiles and ANPR barrier cameras (pull, push, back-fill)."""
