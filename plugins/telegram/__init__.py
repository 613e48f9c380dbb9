"""The Telegram network plugin for Pablik Hub (imported as ``hub_telegram``)."""
