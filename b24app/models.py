"""The list of model modules; importing it registers every table."""

from b24app.events import models as events_models  # noqa: F401
from b24app.tenancy import models as tenancy_models  # noqa: F401
from b24app.program import models as program_models  # noqa: F401
from b24app.sync import models as sync_models  # noqa: F401
from b24app.analytics import models as analytics_models  # noqa: F401
