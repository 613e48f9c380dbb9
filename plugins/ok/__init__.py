"""The Odnoklassniki (OK.ru) network plugin for Pablik Hub (imported as ``hub_ok``)."""
