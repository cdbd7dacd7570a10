from tests.integration.incident_fixtures import incidents, start_incident_stack  # noqa: F401
from tests.integration.oncall_fixtures import oncall  # noqa: F401
