"""The shared HTTP push listener that Hikvision, Dahua and ZKTeco push drivers register on."""
