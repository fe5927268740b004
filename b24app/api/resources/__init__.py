"""The API's resources; importing a module registers its operations."""
