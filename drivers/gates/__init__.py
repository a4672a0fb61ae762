"""Gate, door, turnstile and barrier drivers (Hikvision ISAPI, Dahua, ZKTeco ADMS) and their push listener."""
