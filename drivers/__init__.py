"""Device protocol drivers: each is a pure codec, an asyncio session and a simulator."""
