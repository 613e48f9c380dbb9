"""The default moderation engine for Pablik Hub (imported as ``hub_moderation``)."""
