from tests.integration.incident_fixtures import incidents, start_incident_stack  # noqa: F401
