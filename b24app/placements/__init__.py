"""CRM card tabs and the app page, rendered from the local mirror of the CRM."""
