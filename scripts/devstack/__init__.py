"""The native stack runner: embedded servers, migrations, Traefik and the services as local processes."""
