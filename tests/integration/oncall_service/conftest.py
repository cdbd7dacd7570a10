from tests.integration.oncall_fixtures import oncall, start_oncall_stack  # noqa: F401
