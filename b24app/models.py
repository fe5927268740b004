"""The list of model modules; importing it registers every table."""

from b24app.events import models as events_models  # noqa: F401
from b24app.tenancy import models as tenancy_models  # noqa: F401
