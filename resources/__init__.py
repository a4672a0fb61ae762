"""Data only: themes, sounds, translations, icons and the demo site."""
