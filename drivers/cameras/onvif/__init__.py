"""ONVIF cameras: the adapter (tool), PullPoint events driver, WS-Discovery and a SOAP test device."""
