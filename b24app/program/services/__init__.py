"""Program services for the UI, API and sync parts; each one commits its change."""
