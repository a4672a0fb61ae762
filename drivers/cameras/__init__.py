"""Camera drivers: ONVIF device, media, PTZ and events, and WS-Discovery."""
