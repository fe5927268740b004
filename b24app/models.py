"""The list of model modules; importing it registers every table."""

from b24app.tenancy import models as tenancy_models  # noqa: F401
