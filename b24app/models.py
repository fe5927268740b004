"""The list of model modules; importing it registers every table."""

from b24app.analytics import models as analytics_models  # noqa: F401
from b24app.analytics import rollup_models, summary_models  # noqa: F401
from b24app.api import models as api_models  # noqa: F401
from b24app.api.webhooks import models as webhook_models  # noqa: F401
from b24app.events import models as events_models  # noqa: F401
from b24app.mail import models as mail_models  # noqa: F401
from b24app.program import api_keys as api_key_models  # noqa: F401
from b24app.program import models as program_models  # noqa: F401
from b24app.program.personal_data import models as personal_data_models  # noqa: F401
from b24app.public import models as public_models  # noqa: F401
from b24app.sync import models as sync_models  # noqa: F401
from b24app.tenancy import models as tenancy_models  # noqa: F401
