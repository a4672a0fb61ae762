"""SIA DC-09 over IP receiver (Contact ID and SIA-DCS payloads): framing, messages, mapping, driver."""
