"""Event intake: verify Bitrix24 event deliveries, store them, process them later."""
