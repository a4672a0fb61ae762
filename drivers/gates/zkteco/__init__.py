"""ZKTeco ADMS ("PUSH", iclock) devices: codec, driver on the shared push listener, and a simulator."""
