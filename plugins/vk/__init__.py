"""The VK network plugin for Pablik Hub (imported as ``hub_vk``)."""
