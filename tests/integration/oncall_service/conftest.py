from tests.integration.oncall_fixtures import oncall  # noqa: F401
